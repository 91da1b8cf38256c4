"""`companion export`: the data-action files, determinism, drift against the committed files, and bad options."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from architect.export.attributes import DEFAULT_ATTRIBUTES
from architect.export.generate import generate_artifacts
from architect.export.options import ExportError
from architect.export.options import make_options
from service.cli import cli
from tests.architect.conftest import ARCHITECT
from tests.architect.conftest import EXAMPLE_BASE_URL
from tests.architect.conftest import EXAMPLE_EXPORT_ARGS
from tests.architect.conftest import EXAMPLES
from tests.architect.conftest import committed_files

ACTION_FILES = {
    "data-actions/Companion-Get-Trace-Context.custom.json": ("Companion Get Trace Context", "/v1/trace"),
    "data-actions/Companion-Get-Customer.custom.json": ("Companion Get Customer", "/v1/customer"),
    "data-actions/Companion-Get-Call-Context.custom.json": ("Companion Get Call Context", "/v1/context"),
}


def _export(tmp_path, *args):
    result = CliRunner().invoke(cli, ["export", *args, "--out", str(tmp_path)])
    return result


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_artifacts_are_exactly_what_export_writes_with_the_documented_settings(tmp_path):
    result = _export(tmp_path, *EXAMPLE_EXPORT_ARGS)
    assert result.exit_code == 0, result.output
    regenerated = _tree_bytes(tmp_path)
    committed = {path: text.encode("utf-8") for path, text in committed_files().items()}
    assert sorted(regenerated) == sorted(committed), "files added or missing: run the export command in docs/architect.md"
    for path, data in regenerated.items():
        assert committed[path] == data, f"architect/{path} drifted: regenerate it with the documented export command"


def test_two_exports_are_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    args = [*EXAMPLE_EXPORT_ARGS, "--timeout-seconds", "5"]
    assert _export(first, *args).exit_code == 0
    assert _export(second, *args).exit_code == 0
    assert _tree_bytes(first) == _tree_bytes(second)


def test_export_writes_one_action_file_per_endpoint_plus_terraform_and_flows(example_files):
    assert sorted(example_files) == sorted(
        [
            *ACTION_FILES,
            "terraform/main.tf",
            "terraform/actions.tf",
            "terraform/variables.tf",
            "terraform/outputs.tf",
            "terraform/terraform.tfvars.example",
            "flows/companion-context-task.yaml",
            "flows/companion-sample-inbound-call.yaml",
            "flows/options.example.yaml",
        ]
    )


@pytest.mark.parametrize("path", sorted(ACTION_FILES))
def test_action_file_has_exactly_the_keys_of_a_genesys_export(example_files, path):
    action = json.loads(example_files[path])
    # The shape of every real export in the reference examples (docs/reference/data-actions.md §1.1) plus timeoutSeconds.
    real = json.loads((EXAMPLES / "data-actions" / "Limitless-Submit-CSAT-Testimonial.custom.json").read_text())
    assert list(action) == list(real) == ["name", "integrationType", "actionType", "config", "contract", "secure"]
    assert list(action["config"]) == ["request", "response", "timeoutSeconds"]
    assert list(action["config"]["request"]) == list(real["config"]["request"])
    assert list(action["config"]["response"]) == list(real["config"]["response"])
    assert list(action["contract"]) == ["input", "output"]
    assert list(action["contract"]["input"]) == ["inputSchema"]
    assert list(action["contract"]["output"]) == ["successSchema"]


@pytest.mark.parametrize("path", sorted(ACTION_FILES))
def test_action_calls_its_endpoint_with_a_json_post_and_passes_the_response_through(example_files, path):
    name, endpoint = ACTION_FILES[path]
    action = json.loads(example_files[path])
    assert action["name"] == name
    assert action["integrationType"] == "custom-rest-actions"
    assert action["actionType"] == "custom"
    assert action["secure"] is False
    request = action["config"]["request"]
    assert request["requestUrlTemplate"] == EXAMPLE_BASE_URL + endpoint
    assert request["requestType"] == "POST"
    assert request["headers"] == {
        "Authorization": "Bearer ${credentials.apiKey}",
        "Content-Type": "application/json",
    }
    assert action["config"]["response"] == {
        "translationMap": {},
        "translationMapDefaults": {},
        "successTemplate": "${rawResult}",
    }
    assert action["config"]["timeoutSeconds"] == 3


def test_context_body_escapes_every_input_and_uses_silent_references_for_optional_ones(example_files):
    action = json.loads(example_files["data-actions/Companion-Get-Call-Context.custom.json"])
    assert action["config"]["request"]["requestTemplate"] == (
        '{"conversationId": "$esc.jsonString(${input.conversationId})", '
        '"participantId": "$!esc.jsonString($!{input.participantId})", '
        '"phone": "$!esc.jsonString($!{input.phone})", '
        '"customerId": "$!esc.jsonString($!{input.customerId})", '
        '"email": "$!esc.jsonString($!{input.email})", '
        '"accountNumber": "$!esc.jsonString($!{input.accountNumber})"}'
    )


def test_basic_auth_export_sends_no_authorization_header():
    files = generate_artifacts(make_options(EXAMPLE_BASE_URL, auth="basic"))
    for path in ACTION_FILES:
        headers = json.loads(files[path])["config"]["request"]["headers"]
        assert headers == {"Content-Type": "application/json"}
    assert 'credential_type_name = "basicAuth"' in files["terraform/main.tf"]
    assert "--auth basic" in files["terraform/main.tf"]


def test_timeout_seconds_option_reaches_every_action_and_the_flow_step():
    files = generate_artifacts(make_options(EXAMPLE_BASE_URL, timeout_seconds=7))
    for path in ACTION_FILES:
        assert json.loads(files[path])["config"]["timeoutSeconds"] == 7
    assert "config_timeout_seconds = 7" in files["terraform/actions.tf"]
    assert "seconds: 7" in files["flows/companion-context-task.yaml"]
    assert "--timeout-seconds 7" in files["flows/companion-context-task.yaml"]


def test_trailing_slash_of_the_base_url_is_dropped():
    files = generate_artifacts(make_options("https://crm.example.org/companion/"))
    action = json.loads(files["data-actions/Companion-Get-Trace-Context.custom.json"])
    assert action["config"]["request"]["requestUrlTemplate"] == "https://crm.example.org/companion/v1/trace"


@pytest.mark.parametrize(
    "seconds, deadline_ms",
    [(1, 1500), (2, 2000), (3, 5000)],
)
def test_timeout_not_above_the_service_deadline_is_refused(seconds, deadline_ms):
    with pytest.raises(ExportError, match="above the service's CRM deadline"):
        make_options(EXAMPLE_BASE_URL, timeout_seconds=seconds, service_deadline_ms=deadline_ms)


@pytest.mark.parametrize("seconds", [0, 61, -3])
def test_timeout_outside_genesys_range_is_refused(seconds):
    with pytest.raises(ExportError, match="1-60"):
        make_options(EXAMPLE_BASE_URL, timeout_seconds=seconds)


@pytest.mark.parametrize(
    "url",
    [
        "companion.example.com",
        "ftp://companion.example.com",
        "https://",
        "https://companion.example.com/?x=1",
        "https://companion.example.com/#frag",
        "https://user:pw@companion.example.com",
        "https://companion.example.com/${input.x}",
        'https://companion.example.com/"',
    ],
)
def test_unusable_base_url_is_refused(url):
    with pytest.raises(ExportError, match="--base-url"):
        make_options(url)


def test_cli_refuses_a_timeout_at_the_deadline_with_a_usage_error(tmp_path):
    result = _export(tmp_path, "--base-url", EXAMPLE_BASE_URL, "--timeout-seconds", "1")
    assert result.exit_code == 2
    assert "above the service's CRM deadline (1500 ms)" in result.output
    assert not any(tmp_path.iterdir())


def test_cli_requires_a_base_url(tmp_path):
    result = _export(tmp_path)
    assert result.exit_code == 2
    assert "--base-url" in result.output


def test_attribute_map_from_yaml_file_replaces_the_defaults(tmp_path):
    mapping = tmp_path / "attributes.yaml"
    mapping.write_text('ddTraceId: "apm.traceId"\ntier: "Customer.Tier"\nvip: "Customer.VIP"\n')
    out = tmp_path / "out"
    result = _export(out, "--base-url", EXAMPLE_BASE_URL, "--attributes", str(mapping))
    assert result.exit_code == 0, result.output
    task = (out / "flows" / "companion-context-task.yaml").read_text()
    assert 'lit: "apm.traceId"' in task
    assert 'lit: "Customer.Tier"' in task
    assert 'exp: "ToString(Task.vip)"' in task
    assert "dd.trace_id" not in task
    assert "crm.customerId" not in task
    assert f"--attributes {mapping}" in task


def test_attribute_map_from_json_file_is_accepted(tmp_path):
    mapping = tmp_path / "attributes.json"
    mapping.write_text(json.dumps({"found": "lookup.found"}))
    result = _export(tmp_path / "out", "--base-url", EXAMPLE_BASE_URL, "--attributes", str(mapping))
    assert result.exit_code == 0, result.output
    assert 'lit: "lookup.found"' in (tmp_path / "out" / "flows" / "companion-context-task.yaml").read_text()


@pytest.mark.parametrize(
    "content, message",
    [
        ('shoeSize: "crm.shoeSize"\n', "'shoeSize' is not an output of the context action"),
        ('tier: "crm.x"\nvip: "crm.x"\n', "both map to 'crm.x'"),
        ('tier: ""\n', "non-empty string"),
        ("tier: 5\n", "non-empty string"),
        ('tier: " crm.tier"\n', "no surrounding spaces"),
        ('tier: "{{tier_key}}"\n', "'{{'"),
        ('tier: "companion.status"\n', "status attribute"),
        ("- tier\n", "non-empty mapping"),
        ("tier: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_attribute_map_is_refused_naming_the_entry(tmp_path, content, message):
    mapping = tmp_path / "attributes.yaml"
    mapping.write_text(content)
    result = _export(tmp_path / "out", "--base-url", EXAMPLE_BASE_URL, "--attributes", str(mapping))
    assert result.exit_code == 2
    assert message in result.output
    assert str(mapping) in result.output


def test_default_attribute_keys_are_the_documented_ones():
    assert DEFAULT_ATTRIBUTES["ddTraceId"] == "dd.trace_id"
    assert DEFAULT_ATTRIBUTES["traceparent"] == "traceparent"
    assert DEFAULT_ATTRIBUTES["customerId"] == "crm.customerId"
    assert DEFAULT_ATTRIBUTES["tier"] == "crm.tier"
    assert DEFAULT_ATTRIBUTES["vip"] == "crm.vip"
    assert DEFAULT_ATTRIBUTES["found"] == "crm.found"
    assert DEFAULT_ATTRIBUTES["degraded"] == "crm.degraded"
    docs = (ARCHITECT.parent / "docs" / "architect.md").read_text()
    for field, key in DEFAULT_ATTRIBUTES.items():
        assert f"| `{field}` | `{key}` |" in docs, f"docs/architect.md does not list {field} -> {key}"
