"""Every failure answers with the one JSON error shape; hostile input never gives a 500."""

import json

import pytest

from schemas import TraceResponse


def assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]


def test_trace_returns_every_contract_field_as_a_string(client, auth):
    response = client.post("/v1/trace", json={"conversationId": "c-1", "participantId": "p-1"}, headers=auth)
    assert response.status_code == 200
    assert list(response.json) == list(TraceResponse().fields)
    assert all(isinstance(value, str) and value for value in response.json.values())


def test_unknown_input_keys_are_ignored(client, auth):
    plain = client.post("/v1/trace", json={"conversationId": "c-1"}, headers=auth).json
    extra = client.post(
        "/v1/trace", json={"conversationId": "c-1", "orgId": "x", "foo": {"deep": [1]}}, headers=auth
    ).json
    assert plain == extra


def test_missing_conversation_id_is_400_naming_the_field(client, auth):
    error = assert_error_shape(client.post("/v1/trace", json={}, headers=auth), 400, "invalid_input")
    assert error["fields"] == {"conversationId": ["Missing data for required field."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"conversationId": 12}, "conversationId"),
        ({"conversationId": None}, "conversationId"),
        ({"conversationId": ""}, "conversationId"),
        ({"conversationId": ["c-1"]}, "conversationId"),
        ({"conversationId": {"id": "c-1"}}, "conversationId"),
        ({"conversationId": True}, "conversationId"),
        ({"conversationId": "x" * 257}, "conversationId"),
        ({"conversationId": "c-1", "participantId": 5}, "participantId"),
    ],
)
def test_wrong_types_and_sizes_are_400_with_field_messages(client, auth, body, field):
    error = assert_error_shape(client.post("/v1/trace", json=body, headers=auth), 400, "invalid_input")
    assert field in error["fields"]
    assert all(isinstance(m, str) for m in error["fields"][field])


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b"", "application/json", 400, "invalid_json"),
        (b"   ", "application/json", 400, "invalid_json"),
        (b"{", "application/json", 400, "invalid_json"),
        (b"null", "application/json", 400, "invalid_json"),
        (b"[]", "application/json", 400, "invalid_json"),
        (b'"c-1"', "application/json", 400, "invalid_json"),
        (b"42", "application/json", 400, "invalid_json"),
        (b'{"conversationId": "\xff\xfe"}', "application/json", 400, "invalid_json"),
        (b"\xef\xbb\xbf" + b'{"conversationId": "bom"}', "application/json", 200, None),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400, "invalid_json"),
        (json.dumps({"conversationId": "c", "n": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}).encode(), "application/json", 400, "invalid_json"),
        (b"conversationId=c-1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"conversationId": "c-1"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"conversationId": "c-1"}', "application/vnd.genesys+json", 200, None),
        (b'{"conversationId": "c-1"}', "", 200, None),
    ],
    ids=["empty", "blank", "truncated", "null", "array", "string", "number", "invalid-utf8", "utf8-bom",
         "deep-array", "nesting-over-50", "form", "text-plain", "json-suffix", "no-content-type"],
)
def test_hostile_bodies_get_4xx_json_never_500(client, auth, data, content_type, status, code):
    headers = dict(auth)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/v1/trace", data=data, headers=headers)
    if code is None:
        assert response.status_code == status
    else:
        assert_error_shape(response, status, code)


def test_unicode_conversation_ids_are_accepted(client, auth):
    response = client.post("/v1/trace", json={"conversationId": "通话-☎-\u0000-𝄞"}, headers=auth)
    assert response.status_code == 200


def test_body_over_the_limit_is_413(client, auth):
    body = json.dumps({"conversationId": "c-1", "pad": "x" * (16 * 1024)})
    error = assert_error_shape(
        client.post("/v1/trace", data=body, content_type="application/json", headers=auth), 413, "payload_too_large"
    )
    assert "16384 bytes" in error["message"]


def test_body_limit_follows_the_setting(settings_env, auth):
    from service import create_app
    from service.config import load_settings

    settings_env["COMPANION_MAX_BODY_BYTES"] = "1024"
    client = create_app(load_settings(settings_env)).test_client()
    body = json.dumps({"conversationId": "c-1", "pad": "x" * 1100})
    assert client.post("/v1/trace", data=body, content_type="application/json", headers=auth).status_code == 413


def test_unknown_route_is_404_json(client, auth):
    assert_error_shape(client.get("/v1/nothing-here", headers=auth), 404, "not_found")
    assert_error_shape(client.get("/index.html"), 404, "not_found")


def test_wrong_method_is_405_json_with_allow_header(client, auth):
    response = client.get("/v1/trace", headers=auth)
    assert_error_shape(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_unexpected_exception_is_500_json_without_internals(app, auth):
    @app.get("/v1/explode")
    def explode():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/v1/explode", headers=auth)
    error = assert_error_shape(response, 500, "internal_error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "RuntimeError" not in error["message"]


def test_openapi_documents_every_v1_route_from_the_schemas(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    trace = spec["paths"]["/v1/trace"]["post"]
    assert trace["requestBody"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/TraceRequest"
    schema = spec["components"]["schemas"]["TraceResponse"]
    assert list(schema["properties"]) == list(TraceResponse().fields)
    assert spec["components"]["schemas"]["TraceRequest"]["required"] == ["conversationId"]
    assert {"400", "401", "413", "415"} <= set(trace["responses"])


def test_access_log_line_has_correlation_fields_and_no_secrets(client, auth, caplog):
    caplog.set_level("INFO", logger="companion.access")
    import logging

    logging.getLogger("companion").propagate = True
    try:
        client.post(
            "/v1/trace",
            json={"conversationId": "c-log", "secretish": "do-not-log-me"},
            headers={**auth, "ININ-Correlation-Id": "corr-42"},
        )
    finally:
        logging.getLogger("companion").propagate = False
    record = [r for r in caplog.records if r.name == "companion.access"][-1]
    assert record.status == 200
    assert record.conversationId == "c-log"
    assert record.ininCorrelationId == "corr-42"
    assert getattr(record, "dd.trace_id").isdigit()
    assert getattr(record, "dd.span_id").isdigit()
    assert record.duration_ms >= 0
    text = json.dumps(record.__dict__, default=str)
    assert "do-not-log-me" not in text and auth["Authorization"].split()[1] not in text
