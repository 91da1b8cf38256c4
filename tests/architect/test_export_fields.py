"""`companion export --fields FILE`: custom fields in the contracts, the Terraform and the flows; clear errors."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from architect.check.runner import check_paths
from architect.export.endpoints import ENDPOINTS
from architect.export.generate import generate_artifacts
from architect.export.options import make_options
from schemas.fields_file import load_fields_file
from service.cli import cli
from tests.architect.test_terraform import heredoc_json
from tests.architect.test_terraform import resources

ENDPOINTS_BY_KEY = {endpoint.key: endpoint.file_name for endpoint in ENDPOINTS}

FIELDS = """\
fields:
  loyaltyPoints: {type: integer, description: Loyalty points balance, minimum: 0}
  accountManager: {type: string, description: Account manager's name, attribute: crm.accountManager}
  churnRisk: {type: boolean, description: At risk of leaving}
"""


def export(tmp_path, *extra):
    return CliRunner().invoke(cli, ["export", "--base-url", "https://companion.example.com", "--out",
                                    str(tmp_path / "out"), *extra], catch_exceptions=False)


def fields_file(tmp_path, text=FIELDS):
    path = tmp_path / "fields.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_custom_fields_join_the_customer_and_context_outputs_but_not_the_trace_action(tmp_path):
    result = export(tmp_path, "--fields", fields_file(tmp_path))
    assert result.exit_code == 0, result.output
    actions = tmp_path / "out" / "data-actions"
    context = json.loads((actions / "Companion-Get-Call-Context.custom.json").read_text())
    properties = context["contract"]["output"]["successSchema"]["properties"]
    assert list(properties)[-3:] == ["loyaltyPoints", "accountManager", "churnRisk"]
    assert properties["loyaltyPoints"] == {"type": "integer", "title": "Loyalty points",
                                           "description": "Loyalty points balance", "minimum": 0}
    trace = json.loads((actions / "Companion-Get-Trace-Context.custom.json").read_text())
    assert "loyaltyPoints" not in trace["contract"]["output"]["successSchema"]["properties"]
    # Inputs are unchanged: custom fields are answers, not lookup keys.
    assert "loyaltyPoints" not in context["contract"]["input"]["inputSchema"]["properties"]


def test_the_terraform_carries_the_same_contracts_as_the_json_actions(tmp_path):
    files = generate_artifacts(make_options("https://companion.example.com",
                                            custom=load_fields_file(fields_file(tmp_path)).fields))
    actions = resources(files, "genesyscloud_integration_action")
    for key, resource in actions.items():
        action = json.loads(files[f"data-actions/{ENDPOINTS_BY_KEY[key]}"])
        assert heredoc_json(resource["contract_output"]) == action["contract"]["output"]["successSchema"]
    assert {key: "churnRisk" in heredoc_json(r["contract_output"])["properties"] for key, r in actions.items()} == {
        "trace": False, "customer": True, "context": True}


def test_the_flows_declare_bind_and_set_each_custom_field(tmp_path):
    export(tmp_path, "--fields", fields_file(tmp_path))
    task = yaml.safe_load((tmp_path / "out" / "flows" / "companion-context-task.yaml").read_text())["task"]
    declared = {name: value for entry in task["variables"] for kind, spec in entry.items()
                for name, value in [(spec["name"], kind)]}
    assert (declared["Task.loyaltyPoints"], declared["Task.accountManager"], declared["Task.churnRisk"]) == (
        "integerVariable", "stringVariable", "booleanVariable")
    call = task["actions"][0]["callData"]
    bound = call["category"]["{{companion_integration}}"]["dataAction"]["Companion Get Call Context"]["successOutputs"]
    assert bound["churnRisk"] == {"var": "Task.churnRisk"}
    attributes = {a["attribute"]["name"]["lit"]: a["attribute"]["value"]
                  for a in call["outputs"]["success"]["actions"][0]["setParticipantData"]["attributes"]}
    assert attributes["crm.loyaltyPoints"] == {"exp": "ToString(Task.loyaltyPoints)"}
    assert attributes["crm.accountManager"] == {"exp": "Task.accountManager"}
    assert attributes["crm.churnRisk"] == {"exp": "ToString(Task.churnRisk)"}
    assert [f for f in check_paths([tmp_path / "out"]) if f.severity == "error"] == []


def test_an_attributes_file_keeps_custom_fields_it_does_not_name(tmp_path):
    attributes = tmp_path / "attributes.yaml"
    attributes.write_text("customerId: crm.id\nloyaltyPoints: loyalty\n", encoding="utf-8")
    result = export(tmp_path, "--fields", fields_file(tmp_path), "--attributes", str(attributes))
    assert result.exit_code == 0, result.output
    task = (tmp_path / "out" / "flows" / "companion-context-task.yaml").read_text()
    assert 'lit: "loyalty"' in task and 'lit: "crm.churnRisk"' in task and 'lit: "crm.tier"' not in task


def test_a_custom_attribute_that_repeats_a_built_in_key_is_refused(tmp_path):
    clash = fields_file(tmp_path, "fields:\n  rank: {type: integer, attribute: crm.tier}\n")
    result = export(tmp_path, "--fields", clash)
    assert result.exit_code == 2 and "rank and tier both map to 'crm.tier'" in result.output


def test_a_bad_fields_file_is_a_usage_error_with_one_line_per_problem(tmp_path):
    bad = fields_file(tmp_path, "fields:\n  tier: {type: string}\n  x-y: {type: integer}\n")
    result = export(tmp_path, "--fields", bad)
    assert result.exit_code == 2
    assert f"--fields: {bad}: fields.tier: the name is taken by the built-in field tier" in result.output
    assert f"--fields: {bad}: field name 'x-y' must start with a letter" in result.output
    assert not (tmp_path / "out").exists()
