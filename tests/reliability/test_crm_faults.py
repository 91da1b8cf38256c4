"""Concurrent load through real gunicorn (2 workers) while the CRM stub goes healthy, slow, refusing, 500,
garbage and healthy again: every request answered inside the deadline plus 50 ms, no 5xx, the documented
found/degraded/source flags, no worker restart, and /metrics agreeing with what clients and CRM saw.

The per-phase report prints with `pytest -s` and is attached to every assertion message.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pytest
import requests

from tests.crm_stub import CrmStub
from tests.reliability.crm_load import KNOWN
from tests.reliability.crm_load import NUMBERS
from tests.reliability.crm_load import RECORDS
from tests.reliability.crm_load import PhaseFigures
from tests.reliability.crm_load import Sample
from tests.reliability.crm_load import HostStalls
from tests.reliability.crm_load import connections_opened
from tests.reliability.crm_load import delta
from tests.reliability.crm_load import drive
from tests.reliability.crm_load import metric
from tests.reliability.crm_load import percentile
from tests.reliability.crm_load import restart_signs
from tests.reliability.crm_load import scrape
from tests.reliability.crm_load import server_env
from tests.reliability.crm_load import server_ms_by_correlation_id
from tests.reliability.crm_load import wait_for_workers
from tests.reliability.crm_load import worker_pids
from tests.run_delay import RUN_DELAY_APP
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e

DEADLINE_MS = 300
# The product app, with each access line also saying how long the host kept the request's thread from a CPU.
APP = RUN_DELAY_APP
# The promise to the call flow (issue 6): an answer within the CRM deadline plus 50 ms.
PROMISE_S = DEADLINE_MS / 1000 + 0.05
# Client-side times also hold the load generator's own waits: its 16 Python threads share one GIL with the
# CRM stub, and on a shared host that process gets only its share of the 2 cores, which the stall watcher
# (a light process) does not see. Seen: up to ~0.4 s at a load average of 8. The bound stays below the slow
# CRM's 800 ms and below a retry after the deadline, so waiting for the CRM would still fail.
CLIENT_SLACK_S = 0.15
THREADS = 16
PHASE_S = 3.0
# Each client thread pauses between requests: about 140 requests/s in all, over three times the Genesys org
# ceiling of 2,500 executions a minute, with 16 in flight at most (the org allows 50). Unpaced, the 16 Python
# client threads, the stub and both workers saturate the 2 cores and every answer, healthy or not, waits in a
# run queue: that measures the machine, not the deadline (bench/soak.py can run unpaced).
PAUSE_S = 0.1
BREAKER_FAILURES = 3
COOLDOWN_S = 0.5
# Short TTLs so each fault phase shows both: fresh cache hits first, then stale answers.
TTL_S = 1.0
# Requests sent this long after a fault began find only expired entries (nothing was stored since).
ALL_EXPIRED_AFTER_S = TTL_S + 0.05
# After the CRM recovers, each worker's breaker lets a probe through once its cool-down is over (at most
# COOLDOWN_S after the phase began); the probe takes milliseconds. The rest is slack for a busy 2-core host.
RECOVERED_AFTER_S = COOLDOWN_S + 0.25
SETTINGS = {
    "CRM_DEADLINE_MS": str(DEADLINE_MS),
    "CRM_CONNECT_TIMEOUT_MS": "100",
    "CRM_BREAKER_FAILURES": str(BREAKER_FAILURES),
    "CRM_BREAKER_COOLDOWN_S": str(COOLDOWN_S),
    "CRM_CACHE_TTL_S": str(TTL_S),
    "CRM_CACHE_MISS_TTL_S": str(TTL_S),
    "THREADS": "16",
}


@dataclasses.dataclass(frozen=True)
class Phase:
    name: str
    switch: Callable[[CrmStub], None]
    fault: str  # "" for healthy; otherwise the lookup outcome the fault produces (besides breaker_open)


PHASES = (
    Phase("healthy", CrmStub.healthy, ""),
    Phase("slow", lambda crm: crm.slow(DEADLINE_MS + 500), "timeout"),
    Phase("refusing", CrmStub.refuse, "error"),
    Phase("status 500", lambda crm: crm.status(500), "error"),
    Phase("garbage", CrmStub.garbage, "error"),
    Phase("healthy again", CrmStub.healthy, ""),
)


@dataclasses.dataclass
class PhaseRun:
    phase: Phase
    samples: list[Sample]
    figures: PhaseFigures
    metrics: dict  # delta of every /metrics sample over the phase
    after: dict  # /metrics at the end of the phase
    stub_requests: int
    stub_connections: int
    server_s: dict[str, float]  # correlation id -> the server's own duration of that request
    server_run_delay_s: dict[str, float]  # correlation id -> run-queue wait of the thread serving it
    worker_wait_s: dict[str, float]  # correlation id -> the serving worker's run-queue wait while it was out


@dataclasses.dataclass
class Scenario:
    runs: list[PhaseRun]
    report: str
    pids_before: set[int]
    pids_after: set[int]
    log_after_start: str
    connections: list[int]
    stalls: HostStalls


def host_stall(stalls: HostStalls, sample: Sample) -> float:
    """Seconds the host held every process back while this request was out."""
    return stalls.during(sample.started, sample.started + sample.seconds)


def withheld(stalls: HostStalls, sample: Sample, server_wait_s: float, *, client: bool) -> float:
    """Seconds of this request's time the host took: the longer of the whole-host stalls (the watcher) and
    the run-queue wait of the threads on its path.

    server_wait_s: the serving worker's wait, inside the access line's span (client=False) or over the whole
    time the request was out (client=True, which adds the sending thread's). A gevent worker runs every
    request on one thread: while it waits for a CPU, no request of that worker moves.
    The watcher, a sleeper the scheduler wakes promptly, does not see a CPU shared fairly with busy jobs;
    the run-queue wait does, and only the time a thread was ready to run: a service that waits (sleeps)
    past its deadline is not excused by it (tests/run_delay.py).
    """
    own = server_wait_s + (sample.run_delay_s if client else 0.0)
    return max(host_stall(stalls, sample), own)


def run_phases(crm: CrmStub, server: GunicornServer, phases, sessions, pids: set[int]) -> list[PhaseRun]:
    """Each phase: switch the stub, load for PHASE_S, wait for every answer, then scrape /metrics."""
    runs = []
    before = scrape(server.url)
    for phase in phases:
        stub_before, connections_before = crm.request_count, crm.connection_count
        phase.switch(crm)
        # The first phase lasts until every session has asked for every number (the stale answers' premise).
        first = phase is phases[0]
        started, samples = drive(server.url, sessions, PHASE_S, pause_s=PAUSE_S,
                                 min_requests=len(NUMBERS) if first else 0, worker_pids=tuple(pids))
        elapsed = time.monotonic() - started
        after = scrape(server.url)
        stub_requests = crm.request_count - stub_before
        # The access line is written before the answer goes out, so every answered request has its line.
        logged = server_ms_by_correlation_id(server)
        server_s = {s.correlation_id: logged[s.correlation_id] / 1000 for s in samples if s.correlation_id in logged}
        delays = server_ms_by_correlation_id(server, "runDelayMs")
        server_run_delay_s = {cid: delays[cid] / 1000 for cid in server_s}
        served_by = server_ms_by_correlation_id(server, "workerPid")
        server_ms = server_ms_by_correlation_id(server)
        server_delay_ms = server_ms_by_correlation_id(server, "runDelayMs")
        worker_wait_s = {s.correlation_id: s.worker_run_delay_s.get(served_by.get(s.correlation_id), 0.0)
                         for s in samples}
        figures = PhaseFigures.of(phase.name, elapsed, samples, stub_requests, [v * 1000 for v in server_s.values()])
        runs.append(PhaseRun(phase, samples, figures, delta(after, before), after, stub_requests,
                             crm.connection_count - connections_before, server_s, server_run_delay_s, worker_wait_s))
        before = after
    return runs


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    with HostStalls() as stalls, CrmStub(RECORDS) as crm, GunicornServer(server_env(crm, **SETTINGS), app=APP) as server:
        pids_before = wait_for_workers(server, 2)
        log_mark = len(server.log_text())
        sessions = [requests.Session() for _ in range(THREADS)]
        try:
            runs = run_phases(crm, server, PHASES, sessions, pids_before)
            connections = [connections_opened(s) for s in sessions]
        finally:
            for session in sessions:
                session.close()
        pids_after = worker_pids(server)
        log_after_start = server.log_text()[log_mark:]
    report = "\n".join(
        ["", f"CRM faults under load: 2 gunicorn workers x 16 threads, {THREADS} client threads, "
             f"{PHASE_S:.0f} s per phase (the first until each session asked for every number), "
             f"{PAUSE_S * 1000:.0f} ms pause per thread, deadline {DEADLINE_MS} ms (promise {PROMISE_S * 1000:.0f} ms)"]
        + [f"{run.figures.line()}  host stalls {sum(host_stall(stalls, s) > 0 for s in run.samples)} requests, "
           f"longest {max((host_stall(stalls, s) for s in run.samples), default=0) * 1000:.0f} ms; run-queue wait "
           f"longest server {max(run.server_run_delay_s.values(), default=0) * 1000:.0f} ms, "
           f"client {max((s.run_delay_s for s in run.samples), default=0) * 1000:.0f} ms"
           for run in runs]
    )
    print(report)
    return Scenario(runs, report, pids_before, pids_after, log_after_start, connections, stalls)


def test_every_request_is_answered_inside_the_deadline_plus_50_ms(scenario):
    # Every request, timed by the server (Flask's arrival to answer) and by the client. On a shared 2-core
    # host other jobs can hold our processes back for seconds; time the host kept the request's threads
    # from running is not the service's to keep (withheld() above says how it is measured).
    for run in scenario.runs:
        figures, name = run.figures, run.phase.name
        assert figures.sent > 100, f"{name}: too little load to mean anything\n{scenario.report}"
        assert figures.answered == figures.sent, f"{name}: unanswered requests\n{scenario.report}"
        assert len(run.server_s) == figures.sent, f"{name}: access lines\n{scenario.report}"
        own_client = []
        for s in run.samples:
            server_s, server_delay = run.server_s[s.correlation_id], run.server_run_delay_s[s.correlation_id]
            worker_wait = run.worker_wait_s[s.correlation_id]
            server_host = withheld(scenario.stalls, s, server_delay, client=False)
            client_host = withheld(scenario.stalls, s, worker_wait, client=True)
            own_client.append(s.seconds - client_host)
            where = (f"{name}: {s.endpoint} sent at {s.sent_at:.2f} s took {s.seconds * 1000:.0f} ms, server "
                     f"{server_s * 1000:.0f} ms, host stall {host_stall(scenario.stalls, s) * 1000:.0f} ms, "
                     f"run-queue wait server {server_delay * 1000:.0f} ms (worker while out {worker_wait * 1000:.0f} ms), "
                     f"client {s.run_delay_s * 1000:.0f} ms"
                     f"\n{scenario.report}")
            assert server_s - server_host <= PROMISE_S, where
            assert s.seconds - client_host <= PROMISE_S + CLIENT_SLACK_S, where
        assert percentile(own_client, 99) <= PROMISE_S, f"{name}: client p99\n{scenario.report}"


def test_no_5xx_and_the_documented_flags_in_every_phase(scenario):
    for run in scenario.runs:
        name = run.phase.name
        assert not run.figures.errors, f"{name}: errors {run.figures.errors}\n{scenario.report}"
        for s in run.samples:
            where = f"{name}: {s.endpoint} {s.number} sent at {s.sent_at:.2f} s -> {s}\n{scenario.report}"
            assert s.status == 200, where
            # Every worker cached every known number while the CRM was healthy (checked below), so a known
            # caller is always found: fresh from the CRM or its cache, or stale from the cache.
            assert s.found is s.known, where
            if s.known:
                assert s.customer_id == RECORDS[s.number]["customerId"], where
            if not s.degraded:
                assert s.source == "http", where
            else:
                assert s.source == ("cache" if s.known else "none"), where
            if run.phase.fault and s.sent_at >= ALL_EXPIRED_AFTER_S:
                assert s.degraded, where
            if not run.phase.fault and (name == "healthy" or s.sent_at >= RECOVERED_AFTER_S):
                assert not s.degraded, where
        if run.phase.fault:
            stale = [s for s in run.samples if s.known and s.sent_at >= ALL_EXPIRED_AFTER_S]
            assert stale, f"{name}: no stale answers to check\n{scenario.report}"


def test_each_session_kept_its_worker_and_saw_every_number_while_healthy(scenario):
    # The premise of the found/stale expectations above: one connection (so one worker) per session, and
    # each session asked for every number in the first healthy phase.
    assert scenario.connections == [1] * THREADS, scenario.report
    healthy = scenario.runs[0].samples
    for session in range(THREADS):
        asked = {s.number for s in healthy if s.session == session}
        assert asked == set(NUMBERS), f"session {session} missed {set(NUMBERS) - asked}\n{scenario.report}"


def outcome_count(run: PhaseRun, *outcomes: str) -> float:
    return sum(metric(run.metrics, "companion_crm_lookup_duration_seconds_count", outcome=o) for o in outcomes)


def test_metrics_match_what_the_clients_and_the_crm_saw(scenario):
    for run in scenario.runs:
        m, samples, name = run.metrics, run.samples, run.phase.name
        where = f"{name}: metrics {dict((k, v) for k, v in m.items() if v and 'crm' in k[0])}\n{scenario.report}"
        degraded = sum(bool(s.degraded) for s in samples)
        # Every request carried a phone number: one lookup, one cache look-up each.
        cache_hits = metric(m, "companion_crm_cache_requests_total", result="hit")
        cache_misses = metric(m, "companion_crm_cache_requests_total", result="miss")
        assert cache_hits + cache_misses == len(samples), where
        assert outcome_count(run, "hit") == sum(bool(s.found) and not s.degraded for s in samples), where
        assert outcome_count(run, "miss") == sum(not s.found and not s.degraded for s in samples), where
        assert outcome_count(run, "stale") == sum(s.source == "cache" for s in samples), where
        assert outcome_count(run, "error", "timeout", "breaker_open") == sum(
            bool(s.degraded) and s.source == "none" for s in samples), where
        for endpoint in ("customer", "context"):
            answered = sum(s.endpoint == endpoint for s in samples)
            assert metric(m, "companion_http_request_duration_seconds_count",
                          endpoint=f"/v1/{endpoint}", status_class="2xx") == answered, where
        five_xx = sum(v for (n, labels), v in m.items()
                      if n == "companion_http_request_duration_seconds_count" and ("status_class", "5xx") in labels)
        assert five_xx == 0, where
        half_opens = metric(m, "companion_crm_breaker_transitions_total", state="half_open")
        if not run.phase.fault:
            # The CRM answered every call it got (no retries), and a call was made for every cache miss
            # except those the still-open breaker turned away (the degraded answers).
            assert run.stub_requests == cache_misses - degraded, where
            assert outcome_count(run, "error", "timeout") == 0, where
        else:
            # The only non-degraded answers in a fault are fresh cache entries from before it.
            assert cache_hits == len(samples) - degraded, where
            other = {"timeout": "error", "error": "timeout"}[run.phase.fault]
            assert outcome_count(run, other) == 0, where
            assert metric(run.after, "companion_crm_breaker_state") == 2, where
            assert metric(m, "companion_crm_breaker_transitions_total", state="closed") == 0, where
            assert half_opens >= 1, where
        if name == "slow":
            # The breaker starts closed: the first wave of calls goes through (at most one per client thread
            # plus the failures it takes to open each worker's breaker), after that only one probe per half-open.
            assert metric(m, "companion_crm_breaker_transitions_total", state="open") >= 1, where
            assert half_opens <= run.stub_requests <= half_opens + THREADS + 2 * BREAKER_FAILURES, where
            # Far fewer calls than requests: the breaker shields the struggling CRM.
            assert run.stub_requests < len(samples) / 10, where
        elif name == "refusing":
            assert run.stub_requests == 0 and run.stub_connections == 0, where
        elif run.phase.fault:
            # The breaker was open from the start: every call to the CRM was a half-open probe.
            assert run.stub_requests == half_opens, where
        if name == "healthy again":
            assert metric(m, "companion_crm_breaker_transitions_total", state="closed") >= 1, where
            assert metric(run.after, "companion_crm_breaker_state") == 0, where


def test_no_worker_crashed_or_restarted(scenario):
    assert scenario.pids_after == scenario.pids_before, scenario.report
    signs = restart_signs(scenario.log_after_start)
    assert not signs, "\n".join(signs) + scenario.report
    assert "Traceback" not in scenario.log_after_start, scenario.log_after_start[-3000:]


def test_degraded_as_503_gives_the_json_error_shape_inside_the_deadline_never_500():
    phase_s = 1.5
    phases = []
    with (HostStalls() as stalls, CrmStub(RECORDS) as crm,
          GunicornServer(server_env(crm, DEGRADED_AS_503="1", **SETTINGS), app=APP) as server):
        pids = wait_for_workers(server, 2)
        sessions = [requests.Session() for _ in range(8)]
        try:
            for phase in PHASES[:5]:
                phase.switch(crm)
                asked = crm.request_count
                _, samples = drive(server.url, sessions, phase_s, pause_s=PAUSE_S, worker_pids=tuple(pids))
                figures = PhaseFigures.of(phase.name, phase_s, samples, crm.request_count - asked)
                phases.append((phase, samples, figures))
        finally:
            for session in sessions:
                session.close()
        served_by = server_ms_by_correlation_id(server, "workerPid")
        server_ms = server_ms_by_correlation_id(server)
        server_delay_ms = server_ms_by_correlation_id(server, "runDelayMs")
    report = "\nDEGRADED_AS_503=1\n" + "\n".join(figures.line() for _, _, figures in phases)
    print(report)
    for phase, samples, figures in phases:
        assert figures.answered == figures.sent and figures.sent > 20, report
        assert set(figures.errors) <= ({"5xx"} if phase.fault else set()), report
        for s in samples:
            host = withheld(stalls, s, s.worker_run_delay_s[served_by[s.correlation_id]], client=True)
            server_s = server_ms[s.correlation_id] / 1000
            server_host = withheld(stalls, s, server_delay_ms[s.correlation_id] / 1000, client=False)
            where = (f"{phase.name}: {s}, server {server_s * 1000:.0f} ms, host took {host * 1000:.0f} ms "
                     f"({server_host * 1000:.0f} ms of the server's){report}")
            assert server_s - server_host <= PROMISE_S, where
            assert s.seconds - host <= PROMISE_S + CLIENT_SLACK_S, where
            if s.status == 503:
                assert s.error_code == "unavailable", where
            else:
                assert s.status == 200 and not s.degraded and s.found is s.known, where
        if phase.fault:
            late = [s for s in samples if s.sent_at >= ALL_EXPIRED_AFTER_S]
            assert late and all(s.status == 503 for s in late), report
