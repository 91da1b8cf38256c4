"""Security checks: auth on every /v1 route, no keys or unmasked PII in logs, body limits, no debug mode."""

import base64
import json
import re
import socket
import subprocess
import sys

import pytest
import requests

from service import create_app
from service.config import load_settings
from service.logs import mask_email
from service.logs import mask_phone
from service.logs import mask_pii
from tests.conftest import API_KEY
from tests.conftest import OTHER_KEY
from tests.conftest import TRACE_SECRET
from tests.conftest import basic_auth
from tests.servers import GUNICORN_CONF
from tests.servers import ROOT
from tests.servers import GunicornServer

# Routes anyone may call: probes, the scrape endpoint (optionally behind keys) and the API description.
PUBLIC_RULES = {"/healthz", "/readyz", "/openapi.json", "/metrics"}
WRONG_KEY = "wrong-key-never-valid-0123456789"
PHONE = "+13175550116"
EMAIL = "jane.doe@example.com"


def concrete_path(rule: str) -> str:
    """/v1/things/<int:id> -> /v1/things/1 (any value does: auth runs before the view)."""
    return re.sub(r"<[^>]+>", "1", rule)


def v1_calls(app) -> list[tuple[str, str]]:
    """(method, path) for every method of every /v1 rule in the app's URL map."""
    return sorted(
        (method, concrete_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


# --- auth coverage, from the URL map, so a new route cannot skip it -----------------------------------


def test_every_v1_route_refuses_a_request_without_a_valid_key(app):
    calls = v1_calls(app)
    assert ("POST", "/v1/trace") in calls  # the enumeration sees the real routes
    client = app.test_client()
    for method, path in calls:
        for headers in ({}, {"X-API-Key": WRONG_KEY}, {"Authorization": f"Bearer {WRONG_KEY}"}, basic_auth("genesys", WRONG_KEY)):
            response = client.open(path, method=method, json={}, headers=headers)
            assert response.status_code == 401, f"{method} {path} with {headers} answered {response.status_code}"
            assert response.json["error"]["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_routes_outside_v1_are_exactly_the_public_ones(app):
    outside = {rule.rule for rule in app.url_map.iter_rules() if not rule.rule.startswith("/v1/")}
    assert outside == PUBLIC_RULES


def test_metrics_needs_a_key_when_metrics_auth_is_on_and_takes_every_scheme(settings_env):
    client = create_app(load_settings({**settings_env, "COMPANION_METRICS_AUTH": "true"})).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"X-API-Key": WRONG_KEY}).status_code == 401
    for headers in ({"X-API-Key": OTHER_KEY}, {"Authorization": f"Bearer {API_KEY}"}, basic_auth("prometheus", API_KEY)):
        assert client.get("/metrics", headers=headers).status_code == 200
    # Probes stay open: a load balancer has no key.
    assert client.get("/readyz").status_code == 200 and client.get("/healthz").status_code == 200


# --- request size limit ----------------------------------------------------------------------------


def padded_body(total_bytes: int) -> bytes:
    """A valid /v1/trace body of exactly total_bytes bytes."""
    skeleton = b'{"conversationId": "size-test", "pad": ""}'
    body = skeleton[:-2] + b"x" * (total_bytes - len(skeleton)) + b'"}'
    assert len(body) == total_bytes
    return body


def test_body_limit_is_the_configured_size_to_the_byte(settings_env, auth):
    client = create_app(load_settings({**settings_env, "COMPANION_MAX_BODY_BYTES": "1024"})).test_client()
    headers = {**auth, "Content-Type": "application/json"}
    assert client.post("/v1/trace", data=padded_body(1024), headers=headers).status_code == 200
    over = client.post("/v1/trace", data=padded_body(1025), headers=headers)
    assert over.status_code == 413
    assert over.json["error"] == {"code": "payload_too_large", "message": "The request body is larger than the limit of 1024 bytes."}


# --- no debug mode ---------------------------------------------------------------------------------


def test_flask_debug_in_the_environment_does_not_turn_on_debug_mode(settings_env, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(load_settings(settings_env))
    assert app.debug is False
    app.add_url_rule("/v1/explode", "explode", lambda: 1 / 0, methods=["POST"])
    response = app.test_client().post("/v1/explode", headers={"X-API-Key": API_KEY})
    assert response.status_code == 500
    assert response.json == {"error": {"code": "internal_error", "message": "An unexpected error occurred; see the service log."}}


def test_gunicorn_config_never_reloads_or_spews(tmp_path, demo_db):
    env = {
        "PATH": "/usr/bin:/bin",
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_db),
        "COMPANION_METRICS_DIR": str(tmp_path),
        "FLASK_DEBUG": "1",
    }
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--print-config"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", printed, re.M))
    assert config["reload"] == "False" and config["spew"] == "False"
    assert config["wsgi_app"] == "service.wsgi:app"
    assert config["worker_class"] == "service.gevent_worker.SpreadDeadlineGeventWorker"


# --- over real gunicorn: logs, limits, debugger ----------------------------------------------------


@pytest.fixture(scope="module")
def server(demo_db):
    env = {
        "COMPANION_API_KEYS": f"{API_KEY},{OTHER_KEY}",
        "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_db),
        "COMPANION_WORKERS": "1",
        "COMPANION_METRICS_AUTH": "1",
        # Someone's shell left this on: it must change nothing.
        "FLASK_DEBUG": "1",
    }
    with GunicornServer(env, app="tests.reliability.wsgi_with_test_routes:app") as running:
        yield running


@pytest.mark.e2e
def test_keys_never_reach_the_log_whether_accepted_or_refused(server):
    url = f"{server.url}/v1/trace"
    body = {"conversationId": "key-hygiene"}
    accepted = [
        {"Authorization": f"Bearer {API_KEY}"},
        {"X-API-Key": OTHER_KEY},
        basic_auth("genesys-org", API_KEY),
    ]
    for headers in accepted:
        assert requests.post(url, json=body, headers=headers, timeout=5).status_code == 200
    refused = [{"Authorization": f"Bearer {WRONG_KEY}"}, {"X-API-Key": WRONG_KEY}, basic_auth(API_KEY, WRONG_KEY)]
    for headers in refused:
        assert requests.post(url, json=body, headers=headers, timeout=5).status_code == 401
    # A key in the query string (a misconfigured action) is not logged either: the line has the path only.
    assert requests.post(f"{url}?api_key={API_KEY}", json=body, headers=accepted[0], timeout=5).status_code == 200
    assert requests.get(f"{server.url}/metrics", headers={"X-API-Key": API_KEY}, timeout=5).status_code == 200
    assert requests.post(f"{server.url}/v1/testing/fail", json={}, headers=accepted[0], timeout=5).status_code == 500

    log = server.log_text()
    assert len([line for line in server.access_lines() if line.get("conversationId") == "key-hygiene"]) == 4
    basic_tokens = [h["Authorization"].split()[1] for h in (accepted[2], refused[2])]
    for secret in (API_KEY, OTHER_KEY, WRONG_KEY, TRACE_SECRET, *basic_tokens):
        assert secret not in log


@pytest.mark.e2e
def test_phone_numbers_and_email_addresses_are_masked_in_log_lines(server):
    headers = {"X-API-Key": API_KEY, "ININ-Correlation-Id": "corr-pii-1"}
    # In the path (a GET-style action template gone wrong): logged, masked.
    requests.get(f"{server.url}/v1/customer/{PHONE}/{EMAIL}", headers=headers, timeout=5)
    # In the body (extra keys Genesys may send): never logged at all.
    body = {"conversationId": "pii-body", "phone": "tel:+44 20 7946 0958", "email": "j.smith@example.org"}
    assert requests.post(f"{server.url}/v1/trace", json=body, headers=headers, timeout=5).status_code == 200

    lines = [line for line in server.access_lines() if line.get("ininCorrelationId") == "corr-pii-1"]
    assert len(lines) == 2
    assert lines[0]["path"] == "/v1/customer/+*******0116/j***@example.com"
    log = server.log_text()
    for raw in (PHONE, "3175550116", EMAIL, "jane.doe", "7946 0958", "j.smith"):
        assert raw not in log


@pytest.mark.e2e
def test_body_limit_holds_over_http_with_and_without_content_length(server):
    headers = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
    url = f"{server.url}/v1/trace"
    assert requests.post(url, data=padded_body(16 * 1024), headers=headers, timeout=5).status_code == 200
    declared = requests.post(url, data=padded_body(16 * 1024 + 1), headers=headers, timeout=5)
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "payload_too_large"
    # Chunked (Genesys may send it): no Content-Length to refuse up front; reading stops at the limit.
    small = requests.post(url, data=iter([b'{"conversationId": ', b'"chunked"}']), headers=headers, timeout=5)
    assert small.status_code == 200
    chunked = requests.post(url, data=iter([b'{"conversationId": "', b"x" * 40_000, b'"}']), headers=headers, timeout=5)
    assert chunked.status_code == 413 and chunked.json()["error"]["code"] == "payload_too_large"


@pytest.mark.e2e
def test_request_line_limit_stops_oversized_urls_before_the_app(server):
    response = requests.get(f"{server.url}/v1/trace?{'q' * 5000}", headers={"X-API-Key": API_KEY}, timeout=5)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "uri_too_long"


def raw_exchange(url: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are (no client library would send these) and read the answer to its end."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return status_line, headers, body


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /v1/trace?" + b"q" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (b"NOT A REQUEST LINE\r\n\r\n", 400, "bad_request"),
        (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % n for n in range(150)) + b"\r\n",
         431, "header_fields_too_large"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n", 400, "bad_request"),
    ],
    ids=["uri-too-long", "garbage-request-line", "bad-http-version", "too-many-headers", "bad-header-name"],
)
def test_requests_gunicorn_refuses_get_the_json_error_shape_too(server, request_bytes, status, code):
    status_line, headers, body = raw_exchange(server.url, request_bytes)
    assert status_line.split(" ", 2)[1] == str(status), status_line
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"]
    assert b"<html" not in body.lower()
    # The server is still there for the next caller.
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200


@pytest.mark.e2e
def test_no_debugger_and_no_traceback_under_gunicorn_even_with_flask_debug_set(server):
    failed = requests.post(f"{server.url}/v1/testing/fail", json={}, headers={"X-API-Key": API_KEY}, timeout=5)
    assert failed.status_code == 500
    assert failed.headers["Content-Type"] == "application/json"
    assert failed.json() == {"error": {"code": "internal_error", "message": "An unexpected error occurred; see the service log."}}
    assert "do-not-leak" not in failed.text and "Traceback" not in failed.text
    # The werkzeug debugger answers these itself when it wraps an app; here the app answers 404 JSON.
    debugger = requests.get(f"{server.url}/?__debugger__=yes&cmd=resource&f=debugger.js", timeout=5)
    assert debugger.status_code == 404 and debugger.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+13175550116", "+*******0116"),
        ("tel:+13175550116", "tel:+*******0116"),
        ("+1 (317) 555-0116", "+* (***) ***-0116"),
        ("020 7946 0958", "*** **** 0958"),
        ("12345", "*****"),
    ],
)
def test_mask_phone_keeps_only_the_last_four_digits(raw, masked):
    assert mask_phone(raw) == masked


def test_mask_email_keeps_the_first_letter_and_the_domain():
    assert mask_email("jane.doe@example.com") == "j***@example.com"
    assert mask_email("not-an-address") == "***"


def test_mask_pii_finds_numbers_and_addresses_in_free_text():
    text = "caller +1 (317) 555-0116 wrote from jane.doe@example.com about order 42"
    assert mask_pii(text) == "caller +* (***) ***-0116 wrote from j***@example.com about order 42"
