"""`companion action run` (docs/runtime.md), against the stub server and against the real service under gunicorn."""

import json
from pathlib import Path

import requests
from click.testing import CliRunner

from service.cli import cli
from tests.conftest import API_KEY

REPO = Path(__file__).resolve().parents[2]
TRACE_ACTION = REPO / "architect" / "data-actions" / "Companion-Get-Trace-Context.custom.json"
EXAMPLES = REPO / "tests" / "architect" / "genesys-examples" / "data-actions"


def run(*args: str):
    return CliRunner().invoke(cli, ["action", "run", *args], catch_exceptions=False)


def test_committed_trace_action_runs_against_the_real_service(demo_server):
    # The documented command (docs/runtime.md): the action as exported for https://companion.example.com.
    result = run(str(TRACE_ACTION), "--input", "conversationId=conv-0001", "--credential", f"apiKey={API_KEY}",
                 "--base-url", demo_server.url, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["status"] == "success"
    # The outputs are exactly what the service answers the same request with, flattened.
    direct = requests.post(demo_server.url + "/v1/trace", json={"conversationId": "conv-0001", "participantId": ""},
                           headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5)
    assert direct.status_code == 200
    assert document["outputs"] == direct.json()
    assert document["request"]["headers"]["Authorization"] == "[redacted]"
    assert API_KEY not in result.output


def test_wrong_api_key_against_the_real_service_takes_the_failure_path(demo_server):
    result = run(str(TRACE_ACTION), "--input", "conversationId=conv-0001", "--credential", "apiKey=wrong",
                 "--base-url", demo_server.url)
    assert result.exit_code == 1
    assert "failure: remote endpoint answered HTTP 401" in result.output


def test_text_output_lists_each_step_and_the_outputs(stub):
    stub.answer("POST", "/api/v2/analytics/queues/observations/query", json_body={
        "results": [{"data": [{"qualifier": "IDLE", "stats": {"count": 2}}]}]})
    result = run(str(EXAMPLES / "Get-On-Queue-Agent-Counts.json"), "--input", "queueId=q-1", "--base-url", stub.url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Get On Queue Agent Counts: success in ")
    assert any(line.startswith("  [ok  ] send request: ") for line in lines)
    assert lines[-3:] == ["outputs:", "  counts = [2]", '  statuses = ["IDLE"]']


def test_inputs_are_typed_by_the_contract(stub):
    path = "/api/v2/flows/datatables/c602af71-de81-434d-b30c-d40ff8d73966/rows"
    stub.answer("POST", path, json_body={"key": "q-1"})
    result = run(str(EXAMPLES / "Insert-IVR-Cache-Entry.json"), "--input", "key=q-1", "--input", "AgentsIdle=true",
                 "--inputs-json", '{"Updated": "2024-05-01"}', "--base-url", stub.url)
    assert result.exit_code == 0, result.output
    assert stub.last.json() == {"Updated": "2024-05-01", "key": "q-1", "AgentsIdle": True}


def test_timeout_exits_1_and_says_timeout(stub):
    stub.answer("POST", "/api/v2/analytics/queues/observations/query", json_body={}, delay=1.0)
    result = run(str(EXAMPLES / "Get-On-Queue-Agent-Counts.json"), "--input", "queueId=q-1", "--base-url", stub.url,
                 "--timeout", "0.2")
    assert result.exit_code == 1
    assert "timeout: no response within the action timeout of 0.2 s" in result.output


def test_bad_file_is_a_clear_error(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"name": "x"}')
    result = run(str(path))
    assert result.exit_code == 1
    assert "integrationType is missing" in result.output


def test_malformed_input_option_is_refused():
    result = CliRunner().invoke(cli, ["action", "run", str(TRACE_ACTION), "--input", "conversationId"])
    assert result.exit_code == 2
    assert "expected key=value" in result.output
