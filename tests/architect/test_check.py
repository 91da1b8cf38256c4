"""`companion check`: clean on our artifacts, no false errors on real Genesys files, every planted flaw found."""

from __future__ import annotations

import json

import pytest
import yaml as pyyaml
from click.testing import CliRunner
from ruamel.yaml import YAML

from architect.check.findings import RULES
from architect.check.runner import check_paths
from architect.check.runner import read_substitutions
from service.cli import cli
from tests.architect.conftest import ARCHITECT
from tests.architect.conftest import BROKEN
from tests.architect.conftest import EXAMPLES


def run_check(*args):
    return CliRunner().invoke(cli, ["check", *map(str, args)])


def found(paths, file_name) -> set[tuple[str, str, str]]:
    """(path, rule, severity) of every finding for one file, but the FL013 notes on data actions not given."""
    return {(f.path, f.rule, f.severity) for f in check_paths(paths)
            if f.file.endswith("/" + file_name) and f.rule != "FL013"}


# --- our own artifacts --------------------------------------------------------------------------------------


def test_generated_artifacts_are_clean():
    options = ARCHITECT / "flows" / "options.example.yaml"
    assert check_paths([ARCHITECT], substitutions=read_substitutions(options)) == []
    result = run_check("--options", options, ARCHITECT)
    assert result.exit_code == 0
    assert result.output.strip() == "0 error(s), 0 warning(s), 0 note(s) in 7 file(s)"
    # Without the options file, each placeholder is noted and nothing else.
    assert {(f.rule, f.severity) for f in check_paths([ARCHITECT])} == {("FL015", "info")}


# --- real Genesys files ------------------------------------------------------------------------------------


def test_a_flow_whose_data_action_was_not_given_says_so(tmp_path):
    # The misspelt output below passes unnoticed without the action; the note says how to check it.
    flow = tmp_path / "flow.yaml"
    flow.write_text((ARCHITECT / "flows" / "companion-sample-inbound-call.yaml").read_text(encoding="utf-8")
                    .replace("                        ddTraceId:", "                        ddTraceIdd:", 1), encoding="utf-8")
    alone = [f for f in check_paths([flow]) if f.rule == "FL013"]
    assert len(alone) == 1 and "'Companion Get Call Context' was not among the files checked" in alone[0].message
    assert "companion check FLOW.yaml DATA-ACTIONS/" in alone[0].message
    (tmp_path / "data-actions").mkdir()
    for action in (ARCHITECT / "data-actions").glob("*.json"):
        (tmp_path / "data-actions" / action.name).write_bytes(action.read_bytes())
    beside = check_paths([flow])
    assert [f.rule for f in beside if f.rule in ("FL013", "FL014")] == ["FL014"]
    assert [f.message for f in beside if f.rule == "FL004"] != []  # the misspelt output is now caught


def test_real_genesys_examples_give_no_errors():
    findings = check_paths([EXAMPLES])
    assert [f for f in findings if f.severity == "error"] == []
    assert run_check(EXAMPLES).exit_code == 0


def test_cache_example_flow_unquoted_yes_no_keys_are_warned_with_their_lines():
    findings = [f for f in check_paths([EXAMPLES]) if f.file.endswith("CacheExampleFlow.yaml") and f.rule != "FL013"]
    assert {(f.rule, f.severity) for f in findings} == {("FL002", "warning")}
    assert [(f.line, f.path.rsplit(".", 1)[1]) for f in findings] == [
        (57, "yes"), (65, "no"), (85, "yes"), (114, "yes"), (122, "no"), (134, "yes"), (148, "no"), (167, "yes")
    ]
    assert findings[2].path == "inboundCall.tasks[0].task.actions[1].decision.outputs.yes"


def test_the_cache_example_really_means_something_else_to_a_yaml_11_loader():
    text = (EXAMPLES / "flows" / "CacheExampleFlow.yaml").read_text()
    outputs_11 = pyyaml.safe_load(text)["inboundCall"]["tasks"][0]["task"]["actions"][1]["decision"]["outputs"]
    outputs_12 = YAML(typ="safe", pure=True).load(text)["inboundCall"]["tasks"][0]["task"]["actions"][1]["decision"]["outputs"]
    assert list(outputs_11) == [True]
    assert list(outputs_12) == ["yes"]


def test_cache_example_bindings_match_its_data_action_contract(tmp_path):
    # Get On Queue Agent Counts binds counts/statuses to integer/string collections: matching the contract.
    action = EXAMPLES / "data-actions" / "Get-On-Queue-Agent-Counts.json"
    flow = EXAMPLES / "flows" / "CacheExampleFlow.yaml"
    # FL013 notes the other data actions the flow calls, which are not among the files given.
    assert [f for f in check_paths([flow, action]) if f.file == str(flow) and f.rule not in ("FL002", "FL013")] == []
    # The same flow with one output name misspelt: the cross-check sees it.
    misspelt = tmp_path / "CacheExampleFlow.yaml"
    misspelt.write_bytes(flow.read_bytes().replace(b"statuses:", b"status:"))
    [finding] = [f for f in check_paths([misspelt, action]) if f.rule == "FL004"]
    assert finding.path.endswith('dataAction["Get On Queue Agent Counts"].successOutputs.status')


def test_event_orchestrator_terraform_placeholders_are_warned():
    prefix = "secureCall.tasks[0].task.actions[0].collectInput.outputs.success.actions[0].callData.category"
    assert found([EXAMPLES], "EventOrchestrator_Secure_Flow.yaml") == {
        (f'{prefix}["${{dataAction}}-Lambda"]', "FL009", "warning"),
        (f'{prefix}["${{dataAction}}-Lambda"].dataAction["${{dataAction}}-data-action"]', "FL009", "warning"),
    }


def test_proactive_callback_flow_hand_placeholders_are_warned():
    rules = found([EXAMPLES], "Trigger-proactive-callback-workflow.yaml")
    assert rules == {
        ('inboundCall.tasks[0].task.actions[1].callData.category["<integrationName>"]', "FL009", "warning"),
        (
            'inboundCall.tasks[0].task.actions[1].callData.category["<integrationName>"]'
            '.dataAction["Execute workflow"].inputs.flowId.lit',
            "FL009",
            "warning",
        ),
    }


@pytest.mark.parametrize("name", ["inboundcall_flow_example.yaml", "inqueuecall_default_example.yaml"])
def test_terraform_provider_example_flows_are_clean(name):
    assert found([EXAMPLES], name) == set()


def test_execute_workflow_action_formal_optional_and_unescaped_inputs_are_warned():
    body = "config.request.requestTemplate"
    assert found([EXAMPLES], "Execute-workflow.custom.json") == {
        (body, "DA014", "warning"),  # ${input.flowId} and ${input.attributes}: optional, formal
        (body, "DA015", "warning"),  # "${input.flowId}" inside a JSON string, unescaped
        (body, "DA016", "info"),  # ${input.attributes} pasted as raw JSON
    }


def test_queue_counts_action_unescaped_string_in_body_is_warned():
    assert found([EXAMPLES], "Get-On-Queue-Agent-Counts.json") == {
        ("config.request.requestTemplate", "DA015", "warning")
    }


def test_limitless_peek_optional_query_parameter_is_warned():
    url = "config.request.requestUrlTemplate"
    # ?updateType=${input.updateType}: optional and unescaped in the query string; the path segments are unescaped.
    assert found([EXAMPLES], "Limitless-Peek-Full-Event.custom.json") == {
        (url, "DA014", "warning"), (url, "DA025", "warning"), (url, "DA018", "info")}


def test_insert_cache_entry_action_passes_raw_request_through_cleanly():
    assert found([EXAMPLES], "Insert-IVR-Cache-Entry.json") == set()


# --- broken files written for these tests -----------------------------------------------------------------


def test_contract_flaws_are_each_found_with_their_path():
    input_props = "contract.input.inputSchema.properties"
    output = "contract.output.successSchema"
    assert found([BROKEN], "contract-flaws.custom.json") == {
        (f"{input_props}.orgId", "CT005", "error"),
        (f"{input_props}.address.type", "CT003", "error"),
        (f'{input_props}["1stName"]', "CT004", "error"),
        (f"{output}.properties.customer.$ref", "CT001", "error"),
        (f"{output}.properties.matrix.items", "CT006", "error"),
        (f"{output}.$schema", "CT008", "warning"),
        (f"{output}.properties.score.nullable", "CT010", "warning"),
    }


def test_template_flaws_are_each_found_with_their_path():
    assert found([BROKEN], "template-flaws.custom.json") == {
        ("config.request.requestType", "DA010", "error"),
        ("config.timeoutSeconds", "DA011", "error"),
        ("config.response.translationMapDefaults.status", "DA012", "warning"),
        ("config.response.translationMapDefaults.count", "DA013", "warning"),
        ("config.request.requestTemplate", "DA014", "warning"),  # "${input.note}", optional
        ("config.request.requestTemplate", "DA015", "warning"),  # "${input.note}" unescaped
        ("config.request.requestTemplate", "DA016", "info"),  # ${input.tags} as raw JSON
        ("config.request.requestTemplate", "DA017", "error"),  # ${input.zone} not in the contract
        ("config.request.requestUrlTemplate", "DA018", "info"),
    }


def test_missing_export_keys_and_wrong_action_type_are_found():
    assert found([BROKEN], "missing-keys.custom.json") == {
        ("actionType", "DA005", "error"),
        ("config.response", "DA002", "error"),
        ("category", "DA003", "warning"),
        ("secure", "DA003", "warning"),
    }


def test_invalid_json_is_reported_with_its_line():
    [finding] = [f for f in check_paths([BROKEN]) if f.file.endswith("not-json.custom.json")]
    assert (finding.rule, finding.severity, finding.line, finding.column) == ("DA001", "error", 4, 1)


def test_flow_binding_flaws_are_found_against_the_action_given_alongside():
    base = 'inboundCall.tasks[0].task.actions[0].callData.category["Test Integration"].dataAction["Test Lookup"]'
    attributes = "inboundCall.tasks[0].task.actions[0].callData.outputs.success.actions[0].setParticipantData.attributes"
    assert found([BROKEN], "bad-bindings.yaml") == {
        (f"{base}.inputs.phone", "FL006", "error"),
        (f"{base}.inputs.shoeSize", "FL005", "error"),
        (f"{base}.successOutputs.balance", "FL004", "error"),
        (f"{base}.successOutputs.tier", "FL008", "warning"),
        (f"{base}.failureOutputs.errorCode", "FL010", "warning"),
        (f"{attributes}[0].attribute.value", "FL007", "error"),  # lit: true
        (f"{attributes}[1].attribute.value", "FL007", "error"),  # exp: Task.openCases, an integer
        (f"{attributes}[3].attribute.value.lit", "FL003", "warning"),  # lit: on
        ("inboundCall.tasks[0].task.actions[1].decision.outputs.yes", "FL002", "warning"),
    }


def test_flow_without_its_action_file_skips_the_contract_rules_only(tmp_path):
    alone = tmp_path / "bad-bindings.yaml"
    alone.write_bytes((BROKEN / "bad-bindings.yaml").read_bytes())
    rules = {f.rule for f in check_paths([alone])}
    assert rules == {"FL007", "FL003", "FL002", "FL010", "FL013"}


def test_unquoted_placeholder_is_a_note_at_its_line_not_an_error():
    # Archy substitutes {{flow_name}} as text before parsing, so the unquoted placeholder is valid.
    [finding] = [f for f in check_paths([BROKEN]) if f.file.endswith("unquoted-placeholder.yaml")]
    assert (finding.rule, finding.severity, finding.line, finding.column) == ("FL015", "info", 2, 9)
    assert finding.message.startswith("{{flow_name}} is an Archy substitution")


def test_yaml_parse_error_gives_line_and_column():
    [finding] = [f for f in check_paths([BROKEN]) if f.file.endswith("parse-error.yaml")]
    assert (finding.rule, finding.severity, finding.line, finding.column) == ("FL001", "error", 6, 8)


def test_yaml_that_is_no_flow_is_warned():
    assert found([BROKEN], "not-a-flow.yaml") == {("", "FL012", "warning")}


def test_every_finding_rule_is_in_the_catalogue_and_documented():
    docs = (ARCHITECT.parent / "docs" / "architect.md").read_text()
    for rule in RULES:
        assert f"| {rule} |" in docs, f"docs/architect.md does not document {rule}"
    for finding in check_paths([BROKEN, EXAMPLES]):
        assert finding.rule in RULES


# --- command line -----------------------------------------------------------------------------------------


def test_errors_give_exit_code_1_and_one_line_per_finding():
    result = run_check(BROKEN / "template-flaws.custom.json")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "3 error(s), 4 warning(s), 2 note(s) in 1 file(s)"
    assert any(
        line.endswith("error DA011 config.timeoutSeconds: timeoutSeconds 90 must be an integer 1-60") for line in lines
    )


def test_json_output_lists_file_path_rule_message_and_severity():
    result = run_check("--json", BROKEN / "parse-error.yaml", BROKEN / "not-a-flow.yaml")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["counts"] == {"error": 1, "warning": 1, "info": 0}
    assert document["files"] == [str(BROKEN / "parse-error.yaml"), str(BROKEN / "not-a-flow.yaml")]
    first = document["findings"][0]
    assert set(first) == {"file", "path", "rule", "message", "severity", "line", "column"}
    assert (first["file"], first["rule"], first["severity"], first["line"]) == (
        str(BROKEN / "parse-error.yaml"), "FL001", "error", 6
    )


def test_warnings_only_exit_0():
    assert run_check(BROKEN / "not-a-flow.yaml").exit_code == 0


def test_missing_path_is_a_usage_error(tmp_path):
    result = run_check(tmp_path / "nope.json")
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_explicit_file_of_another_kind_is_a_usage_error(tmp_path):
    other = tmp_path / "main.tf"
    other.write_text("# not checked\n")
    result = run_check(other)
    assert result.exit_code == 2
    assert "not a .json, .yaml or .yml file" in result.output


def test_other_json_in_a_folder_is_skipped_but_given_explicitly_it_is_checked(tmp_path):
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    assert check_paths([tmp_path]) == []
    assert {f.rule for f in check_paths([tmp_path / "package.json"])} == {"DA002", "DA003"}


def test_non_utf8_file_is_reported_not_crashed_on(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    [finding] = check_paths([tmp_path])
    assert (finding.rule, finding.message) == ("FL001", "not UTF-8 text")
