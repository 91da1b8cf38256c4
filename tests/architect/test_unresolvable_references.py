"""References that can never resolve are real flaws: check reports each, and action run fails on them."""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner

from architect.check.runner import check_paths
from architect.runtime.actions import execute_action
from service.cli import cli
from tests.architect.conftest import BROKEN
from tests.runtime.stub_server import StubServer

FILE = BROKEN / "unresolvable-references.custom.json"
ACTION = json.loads(FILE.read_text(encoding="utf-8"))


def test_check_reports_each_reference_that_can_never_resolve():
    errors = {(f.path, f.rule) for f in check_paths([FILE]) if f.severity == "error"}
    assert errors == {
        ("config.request.headers.X-Tenant", "DA022"),  # ${INPUT.tenant}: Velocity is case-sensitive
        ("config.request.requestTemplate", "DA017"),  # ${input.region}: not in the input contract
        ("config.response.translationMapDefaults.visits", "DA023"),  # "" for an integer
        ("config.request.requestUrlTemplate", "DA024"),  # https://<your-crm-host>/...
    }


def test_action_run_fails_on_them_before_sending_anything():
    with StubServer() as stub:
        result = CliRunner().invoke(cli, ["action", "run", str(FILE), "--input", "phone=+13175550116", "--input",
                                          "tenant=acme", "--base-url", stub.url, "--json"])
        assert stub.received == []
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["status"] == "failure"
    [step] = document["steps"]
    assert step["name"] == "check references"
    assert sorted(flaw["rule"] for flaw in step["detail"]["flaws"]) == ["DA017", "DA022", "DA023", "DA024"]


def test_the_same_action_without_the_flaws_runs():
    action = copy.deepcopy(ACTION)
    request = action["config"]["request"]
    request["requestUrlTemplate"] = "https://crm.example.com/customers/$esc.url(${input.phone})"
    request["headers"]["X-Tenant"] = "${input.tenant}"
    request["requestTemplate"] = "{\"phone\": \"$esc.jsonString(${input.phone})\"}"
    action["config"]["response"]["translationMapDefaults"]["visits"] = "0"
    with StubServer() as stub:
        stub.answer("POST", "/customers/%2B13175550116", json_body={"name": "Ada"})
        result = execute_action(action, {"phone": "+13175550116", "tenant": "acme"}, base_url=stub.url)
        assert stub.received[0].headers["X-Tenant"] == "acme"
    assert (result.status, result.outputs) == ("success", {"visits": 0, "name": "Ada"})


def test_a_null_default_for_a_nullable_output_and_a_number_for_a_decimal_are_valid():
    action = copy.deepcopy(ACTION)
    action["contract"]["output"]["successSchema"]["properties"]["visits"] = {"type": ["integer", "null"]}
    action["config"]["response"]["translationMapDefaults"]["visits"] = "null"
    rules = {f.rule for f in check_paths_of(action)}
    assert "DA023" not in rules


def check_paths_of(action):
    from architect.check.data_action import check_data_action

    findings, _ = check_data_action("a.json", json.dumps(action))
    return findings


def test_a_translation_map_path_the_runtime_cannot_compile_is_an_error_in_check_too():
    from architect.runtime.jsonpath import JsonPathError, compile_path

    action = copy.deepcopy(ACTION)
    action["config"]["response"]["translationMap"]["visits"] = "$.visits[?(@.kind=="
    errors = [(f.path, f.rule) for f in check_paths_of(action) if f.rule == "DA026"]
    assert errors == [("config.response.translationMap.visits", "DA026")]
    try:
        compile_path("$.visits[?(@.kind==")
    except JsonPathError as exc:
        assert exc.args[0] in [f.message for f in check_paths_of(action) if f.rule == "DA026"]
