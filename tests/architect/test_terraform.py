"""The Terraform files parse as HCL and say exactly what the JSON action files say, with `$${` escaping."""

from __future__ import annotations

import io
import json
import re
import textwrap

import hcl2
import pytest

from architect.export.generate import generate_artifacts
from architect.export.options import make_options
from tests.architect.conftest import ARCHITECT
from tests.architect.conftest import EXAMPLE_BASE_URL

_OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, preserve_heredocs=True, strip_string_quotes=True
)
TF_FILES = ["terraform/main.tf", "terraform/actions.tf", "terraform/variables.tf", "terraform/outputs.tf"]


def parse_hcl(text: str) -> dict:
    """Parse HCL text with python-hcl2, string values unquoted and escapes resolved."""
    return hcl2.load(io.StringIO(text), serialization_options=_OPTIONS)


def resources(files: dict[str, str], kind: str) -> dict[str, dict]:
    found = {}
    for path in TF_FILES:
        for block in parse_hcl(files[path]).get("resource", []):
            for name, body in block.get(kind, {}).items():
                found[name] = body
    return found


def terraform_value(text: str, variables: dict[str, str]) -> str:
    """What Terraform makes of a template string: ${var.x} interpolated, then $${ and %%{ unescaped."""
    assert not re.search(r"(?<!\$)\$\{(?!var\.)", text), f"unescaped interpolation in {text!r}"
    text = re.sub(r"(?<!\$)\$\{var\.([a-z_]+)\}", lambda m: variables[m.group(1)], text)
    return text.replace("$${", "${").replace("%%{", "%{")


def heredoc_json(text: str) -> dict:
    lines = text.split("\n")
    assert lines[0] == "<<-EOT" and lines[-1].strip() == "EOT", text[:40]
    body = textwrap.dedent("\n".join(lines[1:-1]))
    return json.loads(terraform_value(body, {}))


def variable_defaults(files: dict[str, str]) -> dict[str, str]:
    defaults = {}
    for block in parse_hcl(files["terraform/variables.tf"])["variable"]:
        for name, body in block.items():
            if "default" in body:
                defaults[name] = body["default"]
    return defaults


@pytest.fixture(scope="module", params=["bearer", "basic"])
def files(request):
    return generate_artifacts(make_options(EXAMPLE_BASE_URL, auth=request.param, timeout_seconds=4))


def test_every_committed_tf_file_parses_as_hcl():
    paths = sorted((ARCHITECT / "terraform").glob("*.tf"))
    assert [p.name for p in paths] == ["actions.tf", "main.tf", "outputs.tf", "variables.tf"]
    for path in paths:
        assert parse_hcl(path.read_text()), path


def test_tfvars_example_parses_and_sets_every_variable_without_a_default(files):
    tfvars = parse_hcl(files["terraform/terraform.tfvars.example"])
    declared = {name for block in parse_hcl(files["terraform/variables.tf"])["variable"] for name in block}
    without_default = declared - set(variable_defaults(files))
    assert without_default == {"companion_api_key"}
    assert without_default <= set(tfvars)
    assert set(tfvars) <= declared


def test_integration_is_an_enabled_web_services_integration_holding_the_credential(files):
    integration = resources(files, "genesyscloud_integration")["companion"]
    assert integration["integration_type"] == "custom-rest-actions"
    assert integration["intended_state"] == "ENABLED"
    [config] = integration["config"]
    assert config["credentials"] == {"basicAuth": "${genesyscloud_integration_credential.companion.id}"}


def test_credential_type_follows_the_auth_mode(files):
    credential = resources(files, "genesyscloud_integration_credential")["companion"]
    action = json.loads(files["data-actions/Companion-Get-Trace-Context.custom.json"])
    if "Authorization" in action["config"]["request"]["headers"]:
        assert credential["credential_type_name"] == "userDefined"
        assert credential["fields"] == {"apiKey": "${var.companion_api_key}"}
    else:
        assert credential["credential_type_name"] == "basicAuth"
        assert credential["fields"] == {"userName": "${var.basic_auth_username}", "password": "${var.companion_api_key}"}


def test_api_key_variable_is_sensitive(files):
    variables = {name: body for block in parse_hcl(files["terraform/variables.tf"])["variable"] for name, body in block.items()}
    assert variables["companion_api_key"]["sensitive"] is True


def test_each_action_resource_round_trips_to_its_json_action_file(files):
    actions = resources(files, "genesyscloud_integration_action")
    assert sorted(actions) == ["context", "customer", "trace"]
    variables = variable_defaults(files)
    by_name = {}
    for path, text in files.items():
        if path.startswith("data-actions/"):
            action = json.loads(text)
            by_name[action["name"]] = action
    for key, resource in actions.items():
        action = by_name[resource["name"]]
        [request] = resource["config_request"]
        [response] = resource["config_response"]
        rebuilt = {
            "requestUrlTemplate": terraform_value(request["request_url_template"], variables),
            "requestType": request["request_type"],
            "headers": {k: terraform_value(v, variables) for k, v in request["headers"].items()},
            "requestTemplate": terraform_value(request["request_template"], variables),
        }
        assert rebuilt == action["config"]["request"], key
        assert {
            "translationMap": response["translation_map"],
            "translationMapDefaults": response["translation_map_defaults"],
            "successTemplate": terraform_value(response["success_template"], variables),
        } == action["config"]["response"]
        assert resource["config_timeout_seconds"] == action["config"]["timeoutSeconds"] == 4
        assert resource["secure"] is action["secure"]
        assert heredoc_json(resource["contract_input"]) == action["contract"]["input"]["inputSchema"]
        assert heredoc_json(resource["contract_output"]) == action["contract"]["output"]["successSchema"]
        assert resource["category"] == "${var.integration_name}"
        assert resource["integration_id"] == "${genesyscloud_integration.companion.id}"


def test_velocity_references_are_escaped_for_terraform(files):
    text = files["terraform/actions.tf"]
    assert "$${input.conversationId}" in text
    assert "$${rawResult}" in text
    assert "$!{input.phone}" in text  # $!{ is not Terraform syntax and stays as is
    # The only unescaped interpolation is the base-URL variable.
    assert set(re.findall(r"(?<!\$)\$\{([^}]*)\}", text)) == {"var.companion_base_url"}
