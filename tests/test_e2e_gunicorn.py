"""The real service under gunicorn with the repository's config, called over HTTP."""

import pytest
import requests

from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.conftest import demo_server_env
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e


def test_trace_over_http_matches_the_in_process_derivation(demo_server):
    response = requests.post(
        f"{demo_server.url}/v1/trace",
        json={"conversationId": "conv-123", "participantId": "part-9"},
        headers={"Authorization": f"Bearer {API_KEY}", "ININ-Correlation-Id": "corr-e2e-1"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    # Same secret and ids as the known-answer test in test_tracing.py (openssl-computed values).
    assert response.json()["traceId"] == "dce33e2c8d9251a722bd13c97305adc9"
    assert response.json()["ddTraceId"] == "2503178723826970057"


def test_each_request_writes_one_json_access_line(demo_server):
    requests.post(
        f"{demo_server.url}/v1/trace",
        json={"conversationId": "conv-log-line"},
        headers={"X-API-Key": API_KEY, "ININ-Correlation-Id": "corr-e2e-2"},
        timeout=5,
    )
    lines = [line for line in demo_server.access_lines() if line.get("ininCorrelationId") == "corr-e2e-2"]
    assert len(lines) == 1
    line = lines[0]
    assert line["status"] == 200
    assert line["method"] == "POST" and line["path"] == "/v1/trace"
    assert line["conversationId"] == "conv-log-line"
    assert line["dd.trace_id"].isdigit() and line["dd.span_id"].isdigit()
    assert isinstance(line["duration_ms"], float)
    assert API_KEY not in demo_server.log_text() and TRACE_SECRET not in demo_server.log_text()


def test_errors_are_json_over_http_too(demo_server):
    response = requests.post(f"{demo_server.url}/v1/trace", data="{", headers={"X-API-Key": API_KEY}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    unauthenticated = requests.post(f"{demo_server.url}/v1/trace", json={"conversationId": "c"}, timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthorized"
    missing = requests.get(f"{demo_server.url}/nowhere", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_server_stops_cleanly_on_sigterm(demo_db):
    server = GunicornServer(demo_server_env(demo_db)).start()
    try:
        assert requests.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}
    finally:
        code = server.stop()
    assert code == 0
    assert "Shutting down: Master" in server.log_text()


def test_invalid_configuration_stops_start_up_naming_the_variable(tmp_path):
    from tests.servers import ServerError

    server = GunicornServer({"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
                             "COMPANION_MAX_BODY_BYTES": "huge"})
    with pytest.raises(ServerError) as error:
        server.start()
    assert "COMPANION_MAX_BODY_BYTES: Not a valid integer." in str(error.value)
