"""Span export from the real service under gunicorn (several workers) to a real OTLP/HTTP receiver."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.conftest import demo_server_env
from tests.otlp_receiver import OtlpReceiver
from tests.otlp_receiver import closed_port_url
from tests.servers import GUNICORN_CONF
from tests.servers import ROOT
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {API_KEY}"}
# Short batches so spans arrive within a test; the exporter gives up on a request after 1 s.
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_EXPORTER_OTLP_TIMEOUT": "1"}
CALLS = [
    {"conversationId": f"conv-gu-{n}", "participantId": f"p-{n % 3}", "phone": phone}
    for n, phone in enumerate(["tel:+13175550116", "+1 (317) 555-0199", "tel:+13175550123", ""] * 3)
]


def spans_counted(server: GunicornServer, result: str) -> float:
    """companion_span_export_spans_total{result} summed over the workers, from /metrics."""
    text = requests.get(f"{server.url}/metrics", timeout=5).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "companion_span_export_spans_total" and sample.labels.get("result") == result)


def traced_env(demo_db, endpoint: str, **extra: str) -> dict[str, str]:
    return {**demo_server_env(demo_db), "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, **FAST_EXPORT, **extra}


def answers(server: GunicornServer) -> list[tuple[int, dict]]:
    """Status and body of /v1/context for every call in CALLS, each on a new connection."""
    results = []
    for body in CALLS:
        response = requests.post(f"{server.url}/v1/context", json=body, headers={**AUTH, "Connection": "close"},
                                 timeout=10)
        results.append((response.status_code, response.json()))
    return results


@pytest.fixture(scope="module")
def receiver():
    with OtlpReceiver() as started:
        yield started


@pytest.fixture(scope="module")
def traced_server(demo_db, receiver):
    """Two gunicorn workers exporting to the module's receiver."""
    with GunicornServer(traced_env(demo_db, receiver.endpoint, COMPANION_WORKERS="2")) as server:
        yield server


def test_context_span_from_gunicorn_has_the_trace_id_v1_trace_returns(traced_server, receiver):
    call = {"conversationId": "conv-done-1", "participantId": "customer-1"}
    ids = requests.post(f"{traced_server.url}/v1/trace", json=call, headers=AUTH, timeout=5).json()
    context = requests.post(f"{traced_server.url}/v1/context", json={**call, "phone": "tel:+13175550116"},
                            headers=AUTH, timeout=5)
    assert context.status_code == 200
    spans = receiver.wait_for(lambda spans: any(
        s.name == "POST /v1/context" and s.attributes.get("genesys.conversation.id") == "conv-done-1" for s in spans))
    (span,) = [s for s in spans if s.name == "POST /v1/context"
               and s.attributes.get("genesys.conversation.id") == "conv-done-1"]
    assert span.trace_id == ids["traceId"] == context.json()["traceId"]
    assert span.parent_span_id == ids["spanId"]
    assert span.attributes["crm.outcome"] == "hit"
    derived = receiver.wait_for(lambda spans: any(s.span_id == ids["spanId"] for s in spans))
    assert [s.name for s in derived if s.span_id == ids["spanId"]][:1] == ["genesys.participant"]
    # Counted once the receiver's answer is back in the worker, a moment after the spans arrived.
    deadline = time.monotonic() + 10
    while spans_counted(traced_server, "exported") == 0:
        assert time.monotonic() < deadline, "companion_span_export_spans_total{result=exported} stayed 0"
        time.sleep(0.05)


def test_every_worker_exports_its_own_spans(traced_server, receiver):
    # New connections until both workers answered; each exports from its own process, set up after the fork.
    for n in range(300):
        requests.post(f"{traced_server.url}/v1/trace", json={"conversationId": f"conv-workers-{n}"},
                      headers={**AUTH, "Connection": "close"}, timeout=5)
        pids = {s.resource["process.pid"] for s in receiver.spans
                if str(s.attributes.get("genesys.conversation.id", "")).startswith("conv-workers-")}
        if len(pids) >= 2:
            break
    receiver.wait_for(lambda spans: len({s.resource["process.pid"] for s in spans
                                         if s.name == "POST /v1/trace"}) >= 2, timeout=10)
    assert traced_server.process.pid not in {s.resource["process.pid"] for s in receiver.spans}  # not the master


@pytest.mark.parametrize("fault", ["down", "refusing", "slow"])
def test_failing_exporter_changes_no_answer(demo_db, demo_server, fault):
    untraced = answers(demo_server)
    with OtlpReceiver(refuse_with=503 if fault == "refusing" else 0, delay_s=5.0 if fault == "slow" else 0) as sink:
        endpoint = closed_port_url() if fault == "down" else sink.endpoint
        with GunicornServer(traced_env(demo_db, endpoint)) as server:
            started = time.monotonic()
            traced = answers(server)
            took = time.monotonic() - started
            if fault != "down":
                sink.wait_for_requests(1)
            deadline = time.monotonic() + 15
            while not any(line.get("message", "").startswith("span export is failing") for line in server.log_lines()):
                assert time.monotonic() < deadline, f"no export failure logged:\n{server.log_text()}"
                time.sleep(0.05)
            lost, sent = spans_counted(server, "failed"), spans_counted(server, "exported")
    assert traced == untraced
    assert all(status == 200 for status, _ in traced)
    assert lost > 0 and sent == 0
    # Waiting on a receiver that takes 5 s per export would show here; the requests do not wait on it.
    assert took < 5.0


def test_graceful_stop_sends_the_spans_still_queued(demo_db, receiver):
    # A batch delay longer than the test: only the flush at worker exit can send these spans.
    env = traced_env(demo_db, receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="600000", COMPANION_WORKERS="2")
    server = GunicornServer(env).start()
    try:
        for n in range(4):
            requests.post(f"{server.url}/v1/trace", json={"conversationId": f"conv-flush-{n}"}, headers=AUTH,
                          timeout=5)
    finally:
        assert server.stop() == 0
    flushed = {s.attributes.get("genesys.conversation.id") for s in receiver.spans if s.name == "POST /v1/trace"}
    assert {f"conv-flush-{n}" for n in range(4)} <= flushed


def test_worker_exit_in_the_master_for_a_vanished_worker_is_harmless(demo_db):
    # gunicorn's master calls worker_exit itself when it finds a worker already gone (kill_worker); its
    # Worker object never loaded the app. The hook raised there, and the master exited with status 1.
    script = f"""
import importlib.util, os
os.environ.update(COMPANION_API_KEYS={API_KEY!r}, COMPANION_TRACE_SECRET={TRACE_SECRET!r},
                  COMPANION_SQLITE_PATH={str(demo_db)!r})
spec = importlib.util.spec_from_file_location("gunicorn_conf", {str(GUNICORN_CONF)!r})
conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conf)

class MastersCopyOfAWorker:
    pid = 12345

conf.worker_exit(None, MastersCopyOfAWorker())
print("master went on")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "master went on" in done.stdout
