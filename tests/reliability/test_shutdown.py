"""Graceful shutdown under real gunicorn: SIGTERM drains in-flight requests and /readyz says so meanwhile."""

import http.client
import json
import signal
import threading
import time
from urllib.parse import urlsplit

import pytest

from service import create_app
from service.config import load_settings
from service.health import start_draining
from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e

TEST_APP = "tests.reliability.wsgi_with_test_routes:app"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def connect(server: GunicornServer) -> http.client.HTTPConnection:
    parts = urlsplit(server.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, str, dict]:
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read().decode(), dict(response.getheaders())


def in_flight(connection: http.client.HTTPConnection) -> float:
    _, body, _ = get(connection, "/metrics")
    line = next(line for line in body.splitlines() if line.startswith("companion_http_requests_in_flight "))
    return float(line.split()[1])


def test_sigterm_lets_the_request_in_flight_finish_and_readyz_turns_503(demo_db):
    env = {
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_db),
        # One worker: the slow request and the probe's kept-alive connection are in the same process.
        "COMPANION_WORKERS": "1",
        "COMPANION_THREADS": "4",
    }
    server = GunicornServer(env, app=TEST_APP).start()
    try:
        probe = connect(server)
        assert get(probe, "/readyz")[0] == 200

        slow_result = {}

        def slow_call():
            connection = connect(server)
            connection.request("POST", "/v1/testing/slow?seconds=2", body=b"{}", headers=AUTH)
            response = connection.getresponse()
            slow_result["status"], slow_result["body"] = response.status, json.loads(response.read())
            connection.close()

        caller = threading.Thread(target=slow_call)
        caller.start()
        deadline = time.monotonic() + 5
        while in_flight(probe) < 2 and time.monotonic() < deadline:  # the slow request and the scrape
            time.sleep(0.02)
        assert in_flight(probe) == 2

        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # The kept-alive probe connection still reaches the draining worker, which now says "not ready".
        status, body, headers = get(probe, "/readyz")
        assert status == 503
        assert json.loads(body) == {"status": "unavailable", "reason": "shutting down"}
        assert headers.get("Connection", "").lower() == "close"
        probe.close()

        caller.join(10)
        assert slow_result == {"status": 200, "body": {"slept": 2.0}}
        assert server.process.wait(15) == 0
    finally:
        server.stop()
        server.log_path.unlink(missing_ok=True)


def test_draining_app_answers_readyz_503_while_liveness_stays_ok(settings_env):
    app = create_app(load_settings(settings_env))
    other = create_app(load_settings(settings_env))
    start_draining(app)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "reason": "shutting down"}
    assert app.test_client().get("/healthz").status_code == 200
    # The flag belongs to one app (one worker process), not to the module.
    assert other.test_client().get("/readyz").status_code == 200
