"""execute_action end to end against a real HTTP server on 127.0.0.1 (reference docs/reference/data-actions.md §3-5)."""

import base64
import json

import pytest

from architect.runtime.actions import ActionDefinitionError, execute_action, load_action

INPUT_SCHEMA = {
    "type": "object",
    "required": ["customerId"],
    "properties": {"customerId": {"type": "string"}, "note": {"type": "string"}, "limit": {"type": "integer"}},
    "additionalProperties": True,
}
OPEN_OUTPUT = {"type": "object", "properties": {}, "additionalProperties": True}


def make_action(*, url="https://crm.example.com/customers/${input.customerId}", method="GET", headers=None,
                body="${input.rawRequest}", translation=None, defaults=None, success="${rawResult}",
                output_schema=None, input_schema=None, timeout_seconds=None):
    action = {
        "name": "Test Action",
        "integrationType": "custom-rest-actions",
        "actionType": "custom",
        "config": {
            "request": {"requestUrlTemplate": url, "requestType": method, "headers": headers or {},
                        "requestTemplate": body},
            "response": {"translationMap": translation or {}, "translationMapDefaults": defaults or {},
                         "successTemplate": success},
        },
        "contract": {"input": {"inputSchema": input_schema or INPUT_SCHEMA},
                     "output": {"successSchema": output_schema or OPEN_OUTPUT}},
        "secure": False,
    }
    if timeout_seconds is not None:
        action["config"]["timeoutSeconds"] = timeout_seconds
    return action


def step(result, name):
    return next(s for s in result.steps if s.name == name)


def test_translation_map_values_and_defaults_reach_the_outputs(stub):
    stub.answer("GET", "/customers/c-1", json_body={"customer": {"tier": "gold", "name": {"first": "Ann"}},
                                                   "cases": [{"id": 1}, {"id": 2}]})
    action = make_action(
        translation={"tier": "$.customer.tier", "first": "$.customer.name.first", "segment": "$.customer.segment",
                     "caseIds": "$.cases[*].id", "caseCount": "$.cases.length()"},
        defaults={"segment": "\"retail\"", "tier": "\"none\""},
        success='{"tier": ${tier}, "name": {"first": ${first}}, "segment": ${segment}, "caseIds": ${caseIds}, '
                '"caseCount": ${caseCount}}')
    result = execute_action(action, {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "success", result.error
    assert result.outputs == {"tier": "gold", "name.first": "Ann", "segment": "retail", "caseIds": [1, 2],
                              "caseCount": 2}
    assert result.raw_output["name"] == {"first": "Ann"}
    resolved = step(result, "apply translation map").detail["resolved"]
    assert resolved["segment"]["from"] == "default" and resolved["tier"]["from"] == "response"
    assert result.error is None and result.duration_ms > 0


def test_json_null_does_not_fall_back_to_the_default(stub):
    stub.answer("GET", "/customers/c-1", json_body={"tier": None})
    action = make_action(translation={"tier": "$.tier"}, defaults={"tier": "\"standard\""},
                         success='{"tier": ${tier}}')
    result = execute_action(action, {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "success"
    assert result.outputs == {"tier": None}


def test_missing_value_without_default_fails_naming_the_key(stub):
    stub.answer("GET", "/customers/c-1", json_body={})
    action = make_action(translation={"tier": "$.tier"}, success='{"tier": ${tier}}')
    result = execute_action(action, {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "failure"
    assert "translationMap 'tier'" in result.error and "no 'tier' entry" in result.error


def test_default_that_is_not_json_fails_naming_it(stub):
    # §3.4: Genesys's own TF docs use `buildNumber = "UNKNOWN"`, which is not JSON text.
    stub.answer("GET", "/customers/c-1", json_body={})
    action = make_action(translation={"buildNumber": "$.build"}, defaults={"buildNumber": "UNKNOWN"},
                         success='{"buildNumber": ${buildNumber}}')
    result = execute_action(action, {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "failure"
    assert "translationMapDefaults 'buildNumber' is not valid JSON text: 'UNKNOWN'" in result.error


def test_get_sends_no_body_even_with_a_request_template(stub):
    stub.answer("GET", "/customers/c-1", json_body={"ok": True})
    result = execute_action(make_action(body='{"ignored": true}'), {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "success"
    assert stub.last.method == "GET" and stub.last.body == b""
    assert result.request["body"] is None
    assert "skipped" in step(result, "render body").detail


def test_post_body_escapes_quotes_and_newlines_with_json_string(stub):
    stub.answer("POST", "/notes", json_body={"saved": True})
    action = make_action(url="https://crm.example.com/notes", method="POST",
                         headers={"Content-Type": "application/json"},
                         body='{"id": "${input.customerId}", "note": "$esc.jsonString(${input.note})"}')
    note = 'He said "call me back"\nand\\or tomorrow\t!'
    result = execute_action(action, {"customerId": "c-1", "note": note}, base_url=stub.url)
    assert result.status == "success", result.error
    assert stub.last.json() == {"id": "c-1", "note": note}
    assert stub.last.headers["Content-Type"] == "application/json"


def test_raw_request_is_the_inputs_json_text(stub):
    stub.answer("POST", "/rows", json_body={"key": "k"})
    action = make_action(url="https://crm.example.com/rows", method="POST")
    result = execute_action(action, {"customerId": "k", "limit": 5}, base_url=stub.url)
    assert result.status == "success"
    assert stub.last.json() == {"customerId": "k", "limit": 5}


def test_relative_url_is_joined_to_base_url(stub):
    stub.answer("POST", "/api/v2/flows/datatables/t-1/rows", json_body={"key": "k"})
    action = make_action(url="/api/v2/flows/datatables/t-1/rows", method="POST")
    result = execute_action(action, {"customerId": "k"}, base_url=stub.url + "/")
    assert result.status == "success"
    assert result.request["url"] == stub.url + "/api/v2/flows/datatables/t-1/rows"


def test_relative_url_without_base_url_fails_clearly():
    action = make_action(url="/api/v2/flows/executions", method="POST")
    result = execute_action(action, {"customerId": "k"})
    assert result.status == "failure"
    assert "relative" in result.error and "base_url" in result.error


def test_base_url_replaces_scheme_host_and_port_but_keeps_path_and_query(stub):
    stub.answer("GET", "/crm/customers/c-1", json_body={})
    action = make_action(url="https://crm.example.com:8443/crm/customers/${input.customerId}?q=$esc.url(${input.note})")
    result = execute_action(action, {"customerId": "c-1", "note": "x&y"}, base_url=stub.url)
    assert result.status == "success", result.error
    assert stub.last.query == {"q": ["x&y"]}
    assert result.request["url"] == stub.url + "/crm/customers/c-1?q=x%26y"


def test_basic_auth_credential_adds_the_basic_header(stub):
    stub.answer("GET", "/customers/c-1", json_body={})
    result = execute_action(make_action(), {"customerId": "c-1"}, {"userName": "genesys", "password": "pa:ss"},
                            base_url=stub.url)
    assert result.status == "success"
    assert stub.last.headers["Authorization"] == "Basic " + base64.b64encode(b"genesys:pa:ss").decode()
    assert result.request["headers"]["Authorization"] == "[redacted]"


def test_user_defined_credential_in_a_header_is_sent_and_redacted_in_the_record(stub):
    stub.answer("GET", "/customers/c-1", json_body={})
    action = make_action(headers={"Authorization": "Bearer ${credentials.apiKey}", "X-Key": "${credentials.apiKey}"})
    result = execute_action(action, {"customerId": "c-1"}, {"apiKey": "k-123456"}, base_url=stub.url)
    assert result.status == "success"
    assert stub.last.headers["Authorization"] == "Bearer k-123456"
    assert stub.last.headers["X-Key"] == "k-123456"
    assert result.request["headers"] == {"Authorization": "[redacted]", "X-Key": "[redacted]"}
    assert "k-123456" not in json.dumps(result.to_dict())


def test_missing_credential_field_is_sent_as_the_reference_text_and_reported(stub):
    stub.answer("GET", "/customers/c-1", json_body={})
    action = make_action(headers={"X-Key": "${credentials.apiKey}"})
    result = execute_action(action, {"customerId": "c-1"}, {}, base_url=stub.url)
    assert stub.last.headers["X-Key"] == "${credentials.apiKey}"
    assert step(result, "render headers").detail["unresolved"] == ["${credentials.apiKey}"]


def test_slow_endpoint_takes_the_timeout_path(stub):
    stub.answer("GET", "/customers/c-1", json_body={"late": True}, delay=1.0)
    result = execute_action(make_action(timeout_seconds=1), {"customerId": "c-1"}, base_url=stub.url, timeout=0.2)
    assert result.status == "timeout"
    assert "0.2 s" in result.error
    assert result.duration_ms < 900
    assert result.outputs == {}


def test_action_timeout_seconds_is_used_when_no_timeout_argument(stub):
    stub.answer("GET", "/customers/c-1", json_body={"late": True}, delay=1.6)
    result = execute_action(make_action(timeout_seconds=1), {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "timeout"
    assert step(result, "send request").detail["timeoutSeconds"] == 1.0


@pytest.mark.parametrize("status", [400, 404, 422, 500, 503])
def test_non_2xx_takes_the_failure_path_with_status_and_body(stub, status):
    stub.answer("GET", "/customers/c-1", json_body={"message": "backend says no"}, status=status)
    result = execute_action(make_action(), {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "failure"
    assert f"HTTP {status}" in result.error and "backend says no" in result.error


def test_non_json_body_fails_like_remote_endpoint_error(stub):
    stub.answer("GET", "/customers/c-1", text="<html>Service Unavailable</html>", content_type="text/html")
    result = execute_action(make_action(), {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "failure"
    assert "not JSON" in result.error and "ACTION.REMOTE_ENDPOINT" in result.error
    assert "<html>Service Unavailable</html>" in result.error


def test_empty_2xx_body_is_read_as_an_empty_object(stub):
    stub.answer("PATCH", "/attributes", status=204)
    action = make_action(url="https://x.example.com/attributes", method="PATCH")
    result = execute_action(action, {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "success", result.error
    assert result.outputs == {}


def test_connection_refused_is_a_failure_not_a_timeout():
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = execute_action(make_action(), {"customerId": "c-1"}, base_url=f"http://127.0.0.1:{port}")
    assert result.status == "failure"
    assert "cannot reach" in result.error


def test_input_violating_the_contract_fails_before_any_request(stub):
    result = execute_action(make_action(), {"limit": "ten"}, base_url=stub.url)
    assert result.status == "failure"
    assert "'customerId' is a required property" in result.error
    assert "limit: 'ten' is not of type 'integer'" in result.error
    assert stub.received == [] and result.request is None


@pytest.mark.parametrize("name", ["orgId", "integrationId", "rawRequest"])
def test_reserved_input_names_are_refused(stub, name):
    result = execute_action(make_action(), {"customerId": "c", name: "x"}, base_url=stub.url)
    assert result.status == "failure"
    assert f"input {name} is reserved" in result.error
    assert stub.received == []


def test_output_schema_violation_lists_every_violation(stub):
    stub.answer("GET", "/customers/c-1", json_body={"priority": "high", "vip": "yes"})
    schema = {"type": "object", "properties": {"priority": {"type": "integer"}, "vip": {"type": "boolean"}},
              "additionalProperties": True}
    result = execute_action(make_action(output_schema=schema), {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "failure"
    assert "priority: 'high' is not of type 'integer'" in result.error
    assert "vip: 'yes' is not of type 'boolean'" in result.error


def test_success_template_that_renders_invalid_json_fails_showing_the_text(stub):
    stub.answer("GET", "/customers/c-1", json_body={"name": "Ann"})
    action = make_action(translation={"name": "$.name"}, success='{"name": "${name}"}')  # quotes around JSON text
    result = execute_action(action, {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "failure"
    assert 'rendered text that is not JSON' in result.error
    assert '{"name": ""Ann""}' in result.error


def test_template_error_names_the_template(stub):
    action = make_action(headers={"X-Tier": "#if($input.note)gold"})
    result = execute_action(action, {"customerId": "c-1"}, base_url=stub.url)
    assert result.status == "failure"
    assert result.error.startswith("header X-Tier: Velocity error at line 1")
    assert stub.received == []


def test_nested_objects_flatten_to_dotted_keys_and_arrays_stay_lists(stub):
    stub.answer("GET", "/customers/c-1", json_body={
        "customer": {"address": {"city": "Indianapolis", "geo": {"lat": 39.7}}, "tags": ["a", "b"]},
        "scores": [1, 2], "ok": True})
    result = execute_action(make_action(), {"customerId": "c-1"}, base_url=stub.url)
    assert result.outputs == {"customer.address.city": "Indianapolis", "customer.address.geo.lat": 39.7,
                              "customer.tags": ["a", "b"], "scores": [1, 2], "ok": True}


def test_steps_record_each_intermediate_result_and_serialise(stub):
    stub.answer("GET", "/customers/c-1", json_body={"a": 1})
    result = execute_action(make_action(translation={"a": "$.a"}, success='{"a": ${a}}'), {"customerId": "c-1"},
                            base_url=stub.url)
    assert [s.name for s in result.steps] == [
        "validate input", "render request URL", "render headers", "render body", "send request", "check response",
        "apply translation map", "render success template", "validate output", "flatten"]
    assert all(s.ok for s in result.steps)
    document = json.loads(json.dumps(result.to_dict()))
    assert document["status"] == "success" and document["outputs"] == {"a": 1}
    assert document["steps"][5]["detail"]["json"] == {"a": 1}
    assert document["request"]["method"] == "GET"


def test_load_action_reports_every_shape_problem(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "x", "integrationType": "soap", "config": {
        "request": {"requestType": "FETCH", "headers": {"A": 1}}, "response": {}, "timeoutSeconds": 90},
        "contract": {"input": {"inputSchema": {"type": "objekt"}}}}))
    with pytest.raises(ActionDefinitionError) as caught:
        load_action(path)
    message = str(caught.value)
    for expected in (str(path), "integrationType 'soap'", "requestUrlTemplate is missing", "requestType 'FETCH'",
                     "headers.A must be a string", "timeoutSeconds 90 must be an integer 1-60", "inputSchema is not a valid draft-04",
                     "contract.output is missing"):
        assert expected in message


def test_load_action_rejects_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{nope")
    with pytest.raises(ActionDefinitionError, match="not JSON"):
        load_action(path)


def test_a_one_letter_credential_does_not_mangle_the_recorded_url(stub):
    stub.answer("GET", "/customers/c-1", json_body={})
    action = make_action(headers={"X-Key": "${credentials.apiKey}"})
    result = execute_action(action, {"customerId": "c-1"}, {"apiKey": "c"}, base_url=stub.url)
    assert result.request["url"].endswith("/customers/c-1")
