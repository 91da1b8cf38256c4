"""/v1/customer, /v1/context and /readyz through a real gunicorn with COMPANION_CRM_BACKEND=http and the CRM stub."""

from __future__ import annotations

import signal
import time
import uuid

import pytest
import requests

from tests.crm.http_fixtures import ANN
from tests.crm.http_fixtures import ANN_PHONE
from tests.crm.http_fixtures import DEADLINE_MS
from tests.crm_stub import CrmStub
from tests.run_delay import RUN_DELAY_APP
from tests.run_delay import timing
from tests.servers import GunicornServer
from tests.servers import ServerError

API_KEY = "test-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
# The promise to the call flow: an answer within the CRM deadline plus 50 ms (here over loopback).
PROMISE_S = DEADLINE_MS / 1000 + 0.05
CUSTOMER_FIELDS = {
    "customerId", "firstName", "lastName", "displayName", "email", "phone", "accountNumber", "tier", "segment",
    "preferredLanguage", "priority", "vip", "openCases", "lastContactAt",
}


def server_env(crm: CrmStub, **overrides: str) -> dict[str, str]:
    env = {
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": "test-trace-secret-0123456789",
        "COMPANION_CRM_BACKEND": "http",
        "COMPANION_CRM_URL_TEMPLATE": crm.template(),
        "COMPANION_CRM_DEADLINE_MS": str(DEADLINE_MS),
        "COMPANION_CRM_CONNECT_TIMEOUT_MS": "100",
        # One worker: one breaker and one cache, so what a test does to them is what the next request sees.
        "COMPANION_WORKERS": "1",
        "COMPANION_THREADS": "8",
    }
    env.update({f"COMPANION_{k}": v for k, v in overrides.items()})
    return env


@pytest.fixture(scope="module")
def crm():
    with CrmStub({ANN_PHONE: ANN}) as stub:
        yield stub


@pytest.fixture
def healthy_crm(crm):
    """The module's stub, healthy again at the start of each test."""
    crm.healthy()
    yield crm
    crm.healthy()


@pytest.fixture(scope="module")
def server(crm):
    """Breaker effectively off (so tests do not open it for each other), short cache TTL."""
    env = server_env(crm, CRM_BREAKER_FAILURES="1000", CRM_CACHE_TTL_S="0.1", CRM_CACHE_MISS_TTL_S="0.1")
    with GunicornServer(env, app=RUN_DELAY_APP) as running:
        yield running


def post(server: GunicornServer, path: str, body: dict):
    """(response, seconds it took less the time the host kept the sending and the serving thread from a CPU).

    Waiting is not excused, only being ready to run on a busy host (tests/run_delay.py); a server started
    without RUN_DELAY_APP has no runDelayMs and nothing of its side is subtracted.
    """
    correlation_id = f"post-{uuid.uuid4()}"
    with timing() as span:
        response = requests.post(f"{server.url}{path}", json=body,
                                 headers={**AUTH, "ININ-Correlation-Id": correlation_id}, timeout=5)
    # The access line is written before the answer goes out.
    line = next((line for line in server.access_lines() if line.get("ininCorrelationId") == correlation_id), {})
    return response, span.own_s - line.get("runDelayMs", 0) / 1000


def test_known_caller_from_the_remote_crm(server, healthy_crm):
    response, _ = post(server, "/v1/customer", {"phone": "tel:+13175550116"})
    assert response.status_code == 200
    body = response.json()
    assert (body["found"], body["degraded"], body["source"]) == (True, False, "http")
    assert {k: body[k] for k in ANN} == ANN
    assert healthy_crm.received[-1].query == {"phone": [ANN_PHONE]}  # normalised before it reached the CRM


@pytest.mark.parametrize("fault", ["refuse", "slow", "status-500", "garbage", "huge", "wrong-shape", "trickle"])
def test_crm_fault_gives_a_degraded_200_inside_the_deadline(server, healthy_crm, fault):
    {
        "refuse": healthy_crm.refuse,
        "slow": lambda: healthy_crm.slow(DEADLINE_MS + 500),
        "status-500": lambda: healthy_crm.status(500),
        "garbage": healthy_crm.garbage,
        "huge": lambda: healthy_crm.huge(2 * 1024 * 1024, declare_length=False),
        "wrong-shape": lambda: healthy_crm.wrong_shape(["not", "a", "record"]),
        "trickle": lambda: healthy_crm.trickle(20),
    }[fault]()
    # A number no earlier test cached, so nothing stale can stand in.
    response, elapsed = post(server, "/v1/customer", {"phone": "+1 (317) 555-0188"})
    assert elapsed <= PROMISE_S, f"answered after {elapsed * 1000:.0f} ms"
    assert response.status_code == 200
    body = response.json()
    assert (body["found"], body["degraded"], body["source"]) == (False, True, "none")
    assert CUSTOMER_FIELDS <= body.keys()
    assert (body["customerId"], body["priority"], body["vip"], body["lastContactAt"]) == ("", 0, False, "")


def test_last_good_record_is_served_from_cache_when_the_crm_fails(server, healthy_crm):
    post(server, "/v1/customer", {"phone": ANN_PHONE})
    time.sleep(0.15)  # past the 0.1 s TTL: only the failure fallback can serve it now
    healthy_crm.status(503)
    response, elapsed = post(server, "/v1/customer", {"phone": ANN_PHONE})
    assert elapsed <= PROMISE_S
    body = response.json()
    assert (response.status_code, body["found"], body["degraded"], body["source"]) == (200, True, True, "cache")
    assert body["customerId"] == ANN["customerId"]


def test_context_keeps_its_trace_part_when_the_crm_is_down(server, healthy_crm):
    healthy_crm.refuse()
    response, elapsed = post(server, "/v1/context", {"conversationId": "conv-http-1", "phone": "+13175550177"})
    assert elapsed <= PROMISE_S
    body = response.json()
    assert response.status_code == 200
    assert len(body["traceId"]) == 32 and body["traceparent"].startswith("00-")
    assert (body["found"], body["degraded"], body["source"]) == (False, True, "none")


def test_degraded_as_503_gives_the_json_error_instead(crm):
    crm.refuse()
    try:
        with GunicornServer(server_env(crm, DEGRADED_AS_503="1"), app=RUN_DELAY_APP) as running:
            response, elapsed = post(running, "/v1/customer", {"phone": ANN_PHONE})
            assert elapsed <= PROMISE_S
            assert response.status_code == 503
            assert response.headers["Content-Type"].startswith("application/json")
            error = response.json()["error"]
            assert error["code"] == "unavailable"
            assert "CRM refused the connection" in error["message"]
            crm.healthy()
            response, _ = post(running, "/v1/customer", {"phone": ANN_PHONE})
            assert (response.status_code, response.json()["found"]) == (200, True)
    finally:
        crm.healthy()


def test_readyz_is_503_while_the_breaker_is_open_and_200_after_a_good_probe(crm):
    env = server_env(crm, CRM_BREAKER_FAILURES="2", CRM_BREAKER_COOLDOWN_S="0.5", CRM_CACHE_TTL_S="0")
    try:
        with GunicornServer(env, app=RUN_DELAY_APP) as running:
            assert requests.get(f"{running.url}/readyz", timeout=5).status_code == 200
            crm.status(500)
            for _ in range(2):
                post(running, "/v1/customer", {"phone": ANN_PHONE})
            ready = requests.get(f"{running.url}/readyz", timeout=5)
            assert ready.status_code == 503
            assert "circuit breaker open" in ready.json()["reason"]
            before = crm.request_count
            response, elapsed = post(running, "/v1/customer", {"phone": ANN_PHONE})
            assert (response.status_code, response.json()["degraded"]) == (200, True)
            assert elapsed < 0.1 and crm.request_count == before  # short-circuited
            crm.healthy()
            time.sleep(0.55)
            assert requests.get(f"{running.url}/readyz", timeout=5).status_code == 200
            response, _ = post(running, "/v1/customer", {"phone": ANN_PHONE})
            assert (response.json()["found"], response.json()["degraded"]) == (True, False)
            metrics = requests.get(f"{running.url}/metrics", timeout=5).text
            assert "companion_crm_breaker_state 0.0" in metrics
            assert 'companion_crm_breaker_transitions_total{state="open"} 1.0' in metrics
            assert 'companion_crm_lookup_duration_seconds_count{outcome="breaker_open"} 1.0' in metrics
    finally:
        crm.healthy()


def test_readyz_can_leave_the_crm_out_and_still_turns_503_on_shutdown(crm):
    # COMPANION_READYZ_CHECKS_CRM=0: instances sharing one CRM stay in rotation through its outage.
    env = server_env(crm, CRM_BREAKER_FAILURES="2", CRM_BREAKER_COOLDOWN_S="60", READYZ_CHECKS_CRM="0")
    try:
        with GunicornServer(env) as running:
            crm.status(500)
            for _ in range(2):
                post(running, "/v1/customer", {"phone": ANN_PHONE})
            metrics = requests.get(f"{running.url}/metrics", timeout=5).text
            assert "companion_crm_breaker_state 2.0" in metrics  # open, and readiness does not care
            assert requests.get(f"{running.url}/readyz", timeout=5).json() == {"status": "ok"}
            with requests.Session() as probe:  # a kept-alive probe still reaches the draining worker
                assert probe.get(f"{running.url}/readyz", timeout=5).status_code == 200
                running.process.send_signal(signal.SIGTERM)
                deadline = time.monotonic() + 5
                while (ready := probe.get(f"{running.url}/readyz", timeout=5)).status_code == 200:
                    assert time.monotonic() < deadline, "readyz never turned 503 during shutdown"
                    time.sleep(0.02)
                assert ready.json() == {"status": "unavailable", "reason": "shutting down"}
    finally:
        crm.healthy()


def test_bad_crm_config_stops_gunicorn_naming_the_variable(crm):
    env = server_env(crm, CRM_URL_TEMPLATE=crm.template("/contacts?name={name}"))
    server = GunicornServer(env, start_timeout=15)
    try:
        with pytest.raises(ServerError) as raised:
            server.start()
    finally:
        server.log_path.unlink(missing_ok=True)
    assert "COMPANION_CRM_URL_TEMPLATE: has the placeholder {name}" in str(raised.value)
