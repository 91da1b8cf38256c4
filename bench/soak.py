"""Soak: gunicorn with the http backend for minutes while the CRM stub cycles through its faults.

`python -m bench soak` (about 2.5 minutes) or `run(seconds=...)`. 2 workers x 16 threads, 16 client threads
(one keep-alive session each) on /v1/customer and /v1/context, the CRM deadline at 300 ms so a cycle holds
many breaker openings and probes. Each cycle: healthy, slow, refusing, 500, garbage, trickling, hanging
up, flapping (503 every other call). Reported per fault: requests, answers, client p50/p99/max, the
server's own p99/max (access log), errors by kind, found/degraded/source counts; then worker RSS (VmRSS)
after each cycle, to show whether memory grows. Targets: every request answered, no 5xx, the server's p99
within deadline + 50 ms in every phase (the max is reported: on a shared host it holds the host's stalls),
the same workers throughout, RSS growth after the first cycle under 16 MiB per worker.
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path

import requests

from tests.crm_stub import CrmStub
from tests.reliability.crm_load import RECORDS
from tests.reliability.crm_load import PhaseFigures
from tests.reliability.crm_load import drive
from tests.reliability.crm_load import percentile
from tests.reliability.crm_load import restart_signs
from tests.reliability.crm_load import rss_kb
from tests.reliability.crm_load import server_env
from tests.reliability.crm_load import wait_for_workers
from tests.reliability.crm_load import worker_pids
from tests.servers import GunicornServer

DEADLINE_MS = 300
PROMISE_MS = DEADLINE_MS + 50
THREADS = 16
# Each client thread pauses this long between requests (about 250 requests/s in all on 2 cores, six times
# the Genesys org ceiling); unpaced, the load generator and the service fight for the same 2 cores.
PAUSE_S = 0.05
RSS_GROWTH_LIMIT_KB = 16 * 1024
SETTINGS = {
    "CRM_DEADLINE_MS": str(DEADLINE_MS),
    "CRM_CONNECT_TIMEOUT_MS": "100",
    "CRM_BREAKER_FAILURES": "3",
    "CRM_BREAKER_COOLDOWN_S": "0.5",
    "CRM_CACHE_TTL_S": "1",
    "CRM_CACHE_MISS_TTL_S": "1",
    "THREADS": "16",
}
FAULTS = {
    "healthy": CrmStub.healthy,
    "slow": lambda crm: crm.slow(DEADLINE_MS + 500),
    "refusing": CrmStub.refuse,
    "status 500": lambda crm: crm.status(500),
    "garbage": CrmStub.garbage,
    "trickle": lambda crm: crm.trickle(50),
    "hangup": CrmStub.hangup,
    "flapping": lambda crm: crm.flapping(1, 503),
}


class _LogReader:
    """The server's /v1/ access-line durations, read incrementally (the log grows to tens of megabytes)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def durations_ms(self) -> list[float]:
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        complete = data.rfind(b"\n") + 1
        self.offset += complete
        durations = []
        for line in data[:complete].splitlines():
            if line.startswith(b"{") and b'"companion.access"' in line:
                entry = json.loads(line)
                if entry.get("path", "").startswith("/v1/"):
                    durations.append(entry["duration_ms"])
        return durations


def _merge(name: str, parts: list[PhaseFigures], samples: list) -> PhaseFigures:
    """One fault's figures over every cycle."""
    return PhaseFigures.of(name, sum(p.seconds for p in parts), samples, sum(p.stub_requests for p in parts),
                           [ms for p in parts for ms in p.server_ms])


def run(seconds: float = 150.0) -> dict:
    """Soak for about `seconds` (whole cycles of every fault, at least one); print figures and targets."""
    phase_s = max(1.5, min(6.0, seconds / (3 * len(FAULTS))))
    cycles = max(1, round(seconds / (phase_s * len(FAULTS))))
    parts: dict[str, list[PhaseFigures]] = collections.defaultdict(list)
    samples_by_phase: dict[str, list] = collections.defaultdict(list)  # fault -> samples of every cycle
    rss: list[dict[int, int]] = []
    with CrmStub(RECORDS) as crm, GunicornServer(server_env(crm, **SETTINGS)) as server:
        pids = wait_for_workers(server, 2)
        log_mark = len(server.log_text())
        access = _LogReader(server.log_path)
        access.durations_ms()
        sessions = [requests.Session() for _ in range(THREADS)]
        started = time.monotonic()
        try:
            for cycle in range(cycles):
                for name, switch in FAULTS.items():
                    crm.reset_counts()
                    switch(crm)
                    _, samples = drive(server.url, sessions, phase_s, pause_s=PAUSE_S)
                    parts[name].append(PhaseFigures.of(name, phase_s, samples, crm.request_count,
                                                       access.durations_ms()))
                    samples_by_phase[name].extend(samples)
                rss.append({pid: rss_kb(pid) for pid in pids})
                print(f"cycle {cycle + 1}/{cycles} done after {time.monotonic() - started:.0f} s; worker RSS "
                      + ", ".join(f"{pid}: {kb / 1024:.1f} MiB" for pid, kb in sorted(rss[-1].items())), flush=True)
        finally:
            for session in sessions:
                session.close()
        same_workers = worker_pids(server) == pids and not restart_signs(server.log_text()[log_mark:])
    merged = [_merge(name, parts[name], samples_by_phase[name]) for name in FAULTS]
    print(f"\nsoak: {cycles} cycles x {len(FAULTS)} phases x {phase_s:.1f} s, {THREADS} client threads "
          f"({PAUSE_S * 1000:.0f} ms pause), deadline {DEADLINE_MS} ms")
    for figures in merged:
        print(figures.line())
    growth = {pid: rss[-1][pid] - rss[0][pid] for pid in pids}
    print("worker RSS after cycle 1 -> last: " + ", ".join(
        f"{pid}: {rss[0][pid] / 1024:.1f} -> {rss[-1][pid] / 1024:.1f} MiB ({growth[pid] / 1024:+.1f})"
        for pid in sorted(pids)))
    answered = all(f.answered == f.sent for f in merged)
    no_errors = all(not f.errors for f in merged)
    server_p99 = max(percentile(f.server_ms, 99) for f in merged)
    rss_ok = all(kb < RSS_GROWTH_LIMIT_KB for kb in growth.values())
    met = answered and no_errors and server_p99 <= PROMISE_MS and same_workers and rss_ok
    print(f"targets: all answered {answered}, no errors/5xx {no_errors}, server p99 (worst phase) "
          f"{server_p99:.1f} ms <= {PROMISE_MS} ms {server_p99 <= PROMISE_MS}, same workers {same_workers}, "
          f"RSS growth < {RSS_GROWTH_LIMIT_KB // 1024} MiB {rss_ok} -> {'MET' if met else 'MISSED'}")
    return {"phases": merged, "rss_kb": rss, "growth_kb": growth, "same_workers": same_workers, "met": met}


if __name__ == "__main__":
    run()
