"""`companion check` on templated flows: `{{key}}` placeholders are Archy substitutions, not YAML errors.

The flows are real blueprint files (provenance: genesys-examples/SOURCES.md) that put placeholders unquoted in
values (`tts: {{ivr_failure}}`) and as mapping keys (`{{prefix}}-Lambda:`).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from architect.check.runner import check_paths
from service.cli import cli
from tests.architect.conftest import EXAMPLES

BLUEPRINTS = EXAMPLES / "blueprint-flows"
EMERGENCY_IVR = BLUEPRINTS / "DR-Emergency-IVR.yaml"
SET_EMERGENCY = BLUEPRINTS / "set-emergency-group-main_flow.yaml"


def rules(findings):
    """(rule, severity, line), leaving out the notes on which data actions the bindings were cross-checked with."""
    return [(f.rule, f.severity, f.line) for f in findings if f.rule not in ("FL013", "FL014")]


def test_unquoted_placeholders_in_values_are_noted_once_each_with_their_first_line():
    findings = [f for f in check_paths([EMERGENCY_IVR]) if f.rule == "FL015"]
    assert rules(findings) == [("FL015", "info", 14), ("FL015", "info", 53), ("FL015", "info", 372)]
    assert [f.message.split(" ", 1)[0] for f in findings] == ["{{ivr_initial_greeting}}", "{{ivr_failure}}",
                                                             "{{ivr_callback}}"]


def test_placeholders_as_mapping_keys_do_not_break_the_parse():
    findings = [f for f in check_paths([SET_EMERGENCY]) if f.rule != "FL014"]
    assert {f.severity for f in findings} == {"info"}
    assert "{{prefix}}" in [f for f in findings if f.rule == "FL015"][0].message


def test_every_templated_blueprint_flow_checks_without_an_error():
    result = CliRunner().invoke(cli, ["check", "--json", str(BLUEPRINTS)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["error"] == 0


def _emergency_action(tmp_path, inputs=("ClientID", "ClientSecret", "EnableEmergencyGroup", "GroupID")):
    """A Lambda data action named as the flow's `{{prefix}}-data-action` renders with prefix=acme."""
    action = {
        "name": "acme-data-action", "integrationType": "aws-lambda-data-actions", "actionType": "custom",
        "config": {"request": {"requestUrlTemplate": "arn:aws:lambda:us-east-1:123456789012:function:acme",
                               "requestType": "POST", "headers": {}, "requestTemplate": "${input.rawRequest}"},
                   "response": {"translationMap": {}, "translationMapDefaults": {}, "successTemplate": "${rawResult}"}},
        "contract": {"input": {"inputSchema": {"type": "object", "properties": {
            name: {"type": "boolean" if name == "EnableEmergencyGroup" else "string"} for name in inputs}}},
            "output": {"successSchema": {"type": "object", "properties": {"Success": {"type": "boolean"}}}}},
        "secure": True,
    }
    path = tmp_path / "acme-data-action.json"
    path.write_text(json.dumps(action), encoding="utf-8")
    return path


def _options(tmp_path, **values):
    path = tmp_path / "options.yaml"
    path.write_text("substitutions:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in values.items()),
                    encoding="utf-8")
    return path


def test_with_options_the_substituted_flow_is_cross_checked_against_its_action(tmp_path):
    action = _emergency_action(tmp_path, inputs=("ClientID", "ClientSecret", "EnableEmergencyGroup"))
    options = _options(tmp_path, prefix="acme", clientId="id", clientSecret="secret", groupID="g-1")
    result = CliRunner().invoke(cli, ["check", "--json", "--options", str(options), str(SET_EMERGENCY),
                                      str(action)])
    document = json.loads(result.output)
    # Only after substitution does the callData name the action, so only then is GroupID found to be unknown.
    flow_findings = [f for f in document["findings"] if f["file"] == str(SET_EMERGENCY)]
    assert [(f["rule"], f["line"]) for f in flow_findings] == [("FL005", 188), ("FL005", 232)]
    assert "'GroupID' is not an input of 'acme-data-action'" in flow_findings[0]["message"]
    assert result.exit_code == 1


def test_with_options_a_placeholder_without_a_value_is_a_warning(tmp_path):
    action = _emergency_action(tmp_path)
    options = _options(tmp_path, prefix="acme", clientId="id", clientSecret="secret")
    findings = check_paths([SET_EMERGENCY, action], substitutions={"prefix": "acme", "clientId": "id",
                                                                   "clientSecret": "secret"})
    findings = [f for f in findings if f.file == str(SET_EMERGENCY)]
    assert rules(findings) == [("FL016", "warning", 189)]
    assert findings[0].message.startswith("{{groupID}} has no value under substitutions:")
    result = CliRunner().invoke(cli, ["check", "--options", str(options), str(SET_EMERGENCY), str(action)])
    assert result.exit_code == 0


def test_a_substituted_value_that_breaks_the_yaml_is_a_parse_error_after_substitution():
    findings = check_paths([EMERGENCY_IVR], substitutions={"ivr_initial_greeting": "Hello: welcome",
                                                           "ivr_failure": "Sorry", "ivr_callback": "Call back"})
    findings = [f for f in findings if f.rule not in ("FL013", "FL014")]
    assert [(f.rule, f.line) for f in findings] == [("FL001", 14)]
    assert findings[0].message.startswith("YAML does not parse after substitution: mapping values are not allowed")


def test_a_parse_error_keeps_the_findings_that_need_no_parsed_tree(tmp_path):
    flow = tmp_path / "broken.yaml"
    flow.write_text("inboundCall:\n  name: {{flow_name}}\n  tasks: [\n", encoding="utf-8")
    assert [f.rule for f in check_paths([flow])] == ["FL015", "FL001"]  # tmp_path has no data actions beside


def test_a_real_mapping_used_as_a_key_is_still_an_error(tmp_path):
    flow = tmp_path / "key.yaml"
    flow.write_text("inboundCall:\n  name: Flow\n  {a: 1}: x\n", encoding="utf-8")
    assert [(f.rule, f.severity) for f in check_paths([flow])] == [("FL011", "error")]


def test_an_unreadable_options_file_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--options", str(tmp_path / "missing.yaml"), str(SET_EMERGENCY)])
    assert result.exit_code == 2
    assert "cannot read the options file" in result.output
