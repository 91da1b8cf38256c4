"""The real service under gunicorn with the repository's config, called over HTTP."""

import http.client
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.conftest import demo_server_env
from tests.run_delay import RUN_DELAY_APP
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


def _raw_answer(url: str, path: str, body: bytes, correlation: str) -> tuple[int, list, bytes]:
    """Status, every header but Date in the order sent, and the body, as a client reads them off the socket."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("POST", path, body=body, headers={
            "Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json",
            "ININ-Correlation-Id": correlation})
        response = connection.getresponse()
        return response.status, [h for h in response.getheaders() if h[0] != "Date"], response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path, body", [
    ("/v1/trace", b'{"conversationId": "conv-wire", "participantId": "p-1"}'),
    ("/v1/customer", b'{"phone": "tel:+13175550116"}'),
    ("/v1/context", b'{"conversationId": "conv-wire", "phone": "sip:+13175550116@10.0.0.1;user=phone"}'),
])
def test_the_wire_answer_is_the_same_whether_the_direct_path_or_flask_writes_it(demo_server, demo_db, path, body):
    # The run-delay app adds a hook after create_app, so Flask answers every request there (service.direct_answers
    # stands aside); the demo server's app answers these directly. On the wire the two must not differ.
    with GunicornServer(demo_server_env(demo_db), app=RUN_DELAY_APP) as flask_server:
        through_flask = _raw_answer(flask_server.url, path, body, f"corr-wire-flask{path}")
        flask_lines = [line for line in flask_server.access_lines()
                       if line["ininCorrelationId"] == f"corr-wire-flask{path}"]
    direct = _raw_answer(demo_server.url, path, body, f"corr-wire-direct{path}")
    direct_lines = [line for line in demo_server.access_lines() if line["ininCorrelationId"] == f"corr-wire-direct{path}"]
    assert direct == through_flask and direct[0] == 200
    assert [name for name, _ in direct[1]] == ["Server", "Connection", "Content-Type", "Content-Length"]
    assert "runDelayMs" in flask_lines[0]  # the added hook ran: Flask answered there
    ignored = ("time", "duration_ms", "ininCorrelationId", "runDelayMs", "workerPid")
    assert [{k: v for k, v in line.items() if k not in ignored} for line in direct_lines] == [
        {k: v for k, v in line.items() if k not in ignored} for line in flask_lines]
