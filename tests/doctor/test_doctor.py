"""`companion doctor`: each finding on the request shape that causes it, the flow checks, input and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.servers import ROOT

ATTRIBUTES = "https://api.mypurecloud.com/api/v2/conversations/c1/participants/p1/attributes"
JSON = ["--header", "Content-Type: application/json"]
SAMPLE_FLOW = str(ROOT / "architect" / "flows" / "companion-sample-inbound-call.yaml")


def _doctor(run_doctor, body: str, url: str = ATTRIBUTES, method: str = "PATCH", extra=()):
    return run_doctor(["doctor", "--json", *extra, "--method", method, "--url", url, *JSON, "--body", body])


def _findings(document, rule):
    return [f for f in document["findings"] if f["rule"] == rule]


def test_a_correct_request_exits_0_and_needs_no_correction(run_doctor):
    code, document = _doctor(run_doctor, '{"attributes": {"crm.tier": "gold"}}')
    assert (code, document["persists"], document["corrected"]) == (0, True, None)
    assert document["operation"] == "PATCH /api/v2/conversations/{conversationId}/participants/{participantId}/attributes"


@pytest.mark.parametrize(("value", "sent_as"), [("95", '"95"'), ("true", '"true"'), ("null", '""'),
                                                  ('{"a": 1}', '"{\\"a\\":1}"')])
def test_a_value_that_is_not_a_string_is_an_error_and_the_correction_quotes_it(run_doctor, value, sent_as):
    code, document = _doctor(run_doctor, f'{{"attributes": {{"score": {value}, "tier": "gold"}}}}')
    assert code == 1
    [item] = _findings(document, "DR004")
    assert item["where"] == "body.attributes.score" and sent_as in item["message"]
    assert json.loads(document["corrected"]["body"]) == {"attributes": {"score": json.loads(sent_as), "tier": "gold"}}


def test_the_key_value_map_sent_as_the_whole_body_is_told_to_be_wrapped(run_doctor):
    code, document = _doctor(run_doctor, '{"caseId": "12345", "priority": "high"}')
    assert code == 1
    [item] = _findings(document, "DR006")
    assert "wrap it" in item["message"]
    assert json.loads(document["corrected"]["body"]) == {"attributes": {"caseId": "12345", "priority": "high"}}


def test_curl_data_without_a_content_type_goes_out_as_a_form(run_doctor):
    code, document = run_doctor(["doctor", "--json", "curl", "-X", "PATCH", ATTRIBUTES,
                                 "-d", '{"attributes": {"a": "b"}}'])
    assert code == 1
    [item] = _findings(document, "DR012")
    assert "application/x-www-form-urlencoded" in item["message"]
    assert ["Content-Type", "application/json"] in document["corrected"]["headers"]


def test_if_match_on_the_attributes_endpoint_is_an_error_and_is_dropped(run_doctor):
    code, document = _doctor(run_doctor, '{"attributes": {"a": "b"}}', extra=["--header", 'If-Match: "3"'])
    assert code == 1
    assert _findings(document, "DR009")[0]["sources"][-1] == "https://www.rfc-editor.org/rfc/rfc9110#section-13.1.1"
    assert all(name != "If-Match" for name, _ in document["corrected"]["headers"])


def test_the_wrong_verb_on_the_attributes_path_names_the_right_one(run_doctor):
    code, document = _doctor(run_doctor, '{"attributes": {"a": "b"}}', method="PUT")
    assert code == 1
    [item] = _findings(document, "DR003")
    assert item["message"].endswith("takes PATCH, not PUT")


def test_an_unknown_path_names_the_nearest_real_one(run_doctor):
    url = "https://api.mypurecloud.com/api/v2/conversations/voice/conversations/c1/participants/p1"
    _code, document = _doctor(run_doctor, '{"attributes": {"a": "b"}}', url=url)
    [item] = _findings(document, "DR001")
    assert "nearest real path is PATCH /api/v2/conversations/calls/{conversationId}/participants/{participantId}" \
        in item["message"]
    assert document["corrected"]["url"] == ATTRIBUTES


def test_a_media_specific_attributes_path_is_kept_with_a_note(run_doctor):
    url = "https://api.mypurecloud.com/api/v2/conversations/messages/c1/participants/p1/attributes"
    code, document = _doctor(run_doctor, '{"attributes": {"a": 1}}', url=url)
    assert code == 1
    assert _findings(document, "DR008")[0]["severity"] == "info"
    assert document["corrected"]["url"] == url
    assert document["corrected"]["python"]["method"] == "ConversationsApi.patch_conversations_message_participant_attributes"


def test_a_body_that_is_not_json_is_an_error(run_doctor):
    code, document = _doctor(run_doctor, "attributes=a")
    assert code == 1
    assert "not valid JSON" in _findings(document, "DR013")[0]["message"]


def test_a_host_outside_genesys_is_replaced_in_the_correction(run_doctor):
    url = "https://example.com/api/v2/conversations/c1/participants/p1/attributes"
    code, document = _doctor(run_doctor, '{"attributes": {"a": 1}}', url=url)
    assert _findings(document, "DR014")[0]["severity"] == "warning"
    assert document["corrected"]["url"] == ATTRIBUTES


@pytest.mark.parametrize("url", ["http://api.mypurecloud.com/api/v2/conversations/c1/participants/p1/attributes",
                                 "api.mypurecloud.com/api/v2/conversations/c1/participants/p1/attributes"])
def test_plain_http_to_a_genesys_host_is_told_to_use_https(run_doctor, url):
    _code, document = _doctor(run_doctor, '{"attributes": {"a": 1}}', url=url)
    assert "plain http" in _findings(document, "DR014")[0]["message"]
    assert document["corrected"]["url"] == ATTRIBUTES
    assert document["corrected"]["notes"] == []


def test_empty_attributes_store_nothing(run_doctor):
    code, document = _doctor(run_doctor, '{"attributes": {}}')
    assert code == 1
    assert _findings(document, "DR006")[0]["message"] == "`attributes` is empty: there is nothing to store"


def test_a_flow_that_sets_the_same_key_is_named_and_the_in_flow_alternative_shown(run_doctor):
    code, document = _doctor(run_doctor, '{"attributes": {"crm.tier": "gold", "incident": "INC-1"}}',
                             extra=["--flow", SAMPLE_FLOW])
    assert code == 0  # the write itself lands; the flow may overwrite it later
    [item] = _findings(document, "DR010")
    assert "sets crm.tier with Set Participant Data" in item["message"] and "incident" not in item["message"]
    alternative = document["inFlow"]
    assert alternative["command"].startswith("companion export --base-url")
    assert (alternative["providedKeys"], alternative["otherKeys"]) == (["crm.tier"], ["incident"])


def test_the_in_flow_commands_doctor_prints_write_the_files_it_names(run_doctor, tmp_path, monkeypatch):
    _code, document = _doctor(run_doctor, '{"attributes": {"crm.tier": "gold"}}', extra=["--in-flow"])
    alternative = document["inFlow"]
    monkeypatch.chdir(tmp_path)
    code, output = run_doctor(alternative["command"].split()[1:])
    assert code == 0, output
    assert (tmp_path / alternative["task"]).is_file()
    assert (tmp_path / "companion-export" / "data-actions" / f"{alternative['dataAction']}.custom.json").is_file()


def test_a_flow_that_reads_the_key_with_get_participant_data_is_named(run_doctor, tmp_path):
    flow = tmp_path / "reads.yaml"
    flow.write_text("inboundCall:\n  name: reads\n  tasks:\n    - task:\n        refId: t\n        actions:\n"
                    "          - getParticipantData:\n              attributes:\n                - attribute:\n"
                    "                    name:\n                      lit: incident\n"
                    "                    variable: Flow.incident\n", encoding="utf-8")
    _code, document = _doctor(run_doctor, '{"attributes": {"incident": "INC-1"}}', extra=["--flow", str(flow)])
    assert "reads incident with Get Participant Data" in _findings(document, "DR010")[0]["message"]
    assert document["inFlow"]["otherKeys"] == ["incident"]


def test_without_a_flow_the_risk_is_still_reported_and_in_flow_is_opt_in(run_doctor):
    _code, document = _doctor(run_doctor, '{"attributes": {"a": "b"}}')
    assert "--flow" in _findings(document, "DR010")[0]["message"]
    assert _findings(document, "DR011")
    assert document["inFlow"] is None
    _code, document = _doctor(run_doctor, '{"attributes": {"a": "b"}}', extra=["--in-flow"])
    assert document["inFlow"]["dataAction"] == "Companion-Get-Call-Context"


@pytest.mark.parametrize(("args", "message"), [
    (["doctor"], "give the failing request"),
    (["doctor", "--url", ATTRIBUTES, "curl", ATTRIBUTES], "not both"),
    (["doctor", "--body", "{}"], "go with --url"),
    (["doctor", "--method", "PA TCH", "--url", ATTRIBUTES], "not an HTTP method"),
    (["doctor", "--flow", "/nonexistent/flow.yaml", "--url", ATTRIBUTES], "cannot read it"),
    (["doctor", "curl", ATTRIBUTES, "--frobnicate"], "unknown curl option"),
])
def test_input_doctor_cannot_read_exits_2_with_the_reason(run_doctor, args, message):
    code, output = run_doctor(args)
    assert code == 2
    assert message in output


def test_stdin_that_is_neither_curl_nor_http_exits_2(run_doctor):
    code, output = run_doctor(["doctor", "-"], "please fix my call\n")
    assert code == 2 and "neither a curl command" in output


def test_the_command_reads_a_curl_command_on_stdin_and_prints_the_fix_as_text():
    """The real console script, as a user runs it: a pasted command piped in, text out, exit status 1."""
    pasted = (f"curl -X PATCH '{ATTRIBUTES[:-len('/attributes')]}' \\\n"
              "  -H 'Content-Type: application/json' \\\n  -d '{\"attributes\": {\"score\": 95}}'\n")
    companion = os.path.join(os.path.dirname(sys.executable), "companion")
    result = subprocess.run([companion, "doctor", "-"], input=pasted, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "error DR002" in result.stdout and "error DR004" in result.stdout
    assert f"curl -X PATCH {ATTRIBUTES}" in result.stdout
    assert '--data-raw \'{"attributes": {"score": "95"}}\'' in result.stdout
    assert "patchConversationParticipantAttributes" in result.stdout
