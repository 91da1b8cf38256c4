"""Load against /v1/customer and /v1/context while the CRM stub changes, with per-phase figures.

Shared by tests/reliability/test_crm_faults.py (short phases, asserted) and bench/soak.py (long phases,
reported). Each load thread keeps one requests.Session, so one keep-alive connection and therefore one
gunicorn worker for the whole run: what a worker cached for a number while the CRM was healthy is what
that session later gets back as stale.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import math
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.crm_stub import CrmStub
from tests.run_delay import process_run_delay
from tests.run_delay import thread_run_delay
from tests.servers import GunicornServer

API_KEY = "reliability-key-0123456789"
TRACE_SECRET = "reliability-trace-secret-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
# Valid Indianapolis numbers (317-2xx-xxxx), distinct per n; libphonenumber accepts them as E.164.
KNOWN_COUNT = 24
UNKNOWN_COUNT = 8


def phone(n: int) -> str:
    """The n-th test caller's number in E.164."""
    return f"+1317{200 + n // 10_000:03d}{n % 10_000:04d}"


KNOWN = [phone(n) for n in range(KNOWN_COUNT)]
# Numbers the stub does not know: it answers 404, the service a (cacheable) miss.
UNKNOWN = [phone(5000 + n) for n in range(UNKNOWN_COUNT)]
NUMBERS = KNOWN + UNKNOWN
RECORDS = {
    number: {"customerId": f"R-{n:04d}", "firstName": "Load", "lastName": f"Caller{n}", "phone": number,
             "tier": "gold", "priority": 50 + n % 50, "vip": n % 4 == 0}
    for n, number in enumerate(KNOWN)
}


def server_env(crm: CrmStub, **overrides: str) -> dict[str, str]:
    """COMPANION_* variables for gunicorn with the http backend against the stub (keys without the prefix)."""
    env = {
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_CRM_BACKEND": "http",
        "COMPANION_CRM_URL_TEMPLATE": crm.template(),
        "COMPANION_WORKERS": "2",
    }
    env.update({f"COMPANION_{k}": v for k, v in overrides.items()})
    return env


# -- load -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sample:
    """One request: when it was sent (seconds after the phase started), what came back."""

    session: int
    endpoint: str  # customer or context
    number: str
    sent_at: float
    seconds: float
    status: int  # 0: no HTTP answer
    error: str  # "" or the kind: timeout, connection, 5xx, 4xx, not-json, bad-shape
    found: bool | None = None
    degraded: bool | None = None
    source: str | None = None
    customer_id: str | None = None
    error_code: str | None = None  # "code" of the JSON error shape, for non-2xx answers
    started: float = 0.0  # time.monotonic() when sent
    run_delay_s: float = 0.0  # how long the host kept the sending thread waiting for a CPU meanwhile
    # pid -> how long the host kept that worker's thread waiting for a CPU while this request was out
    worker_run_delay_s: dict = dataclasses.field(default_factory=dict)

    @property
    def correlation_id(self) -> str:
        """The ININ-Correlation-Id it was sent with, which the access line repeats."""
        return correlation_id(self.session, self.started)

    @property
    def known(self) -> bool:
        return self.number in RECORDS

    @property
    def answered(self) -> bool:
        """An HTTP answer with a JSON body (200 with the fields, or a JSON error)."""
        return self.status != 0 and self.error in ("", "5xx", "4xx")


def correlation_id(session: int, started: float) -> str:
    return f"load-{session}-{started:.6f}"


def _one(session: requests.Session, url: str, endpoint: str, number: str, index: int, timeout: float, cid: str):
    body = {"phone": number}
    if endpoint == "context":
        body = {"conversationId": f"load-{index}", "participantId": "p-1", "phone": number}
    headers = {**AUTH, "ININ-Correlation-Id": cid}
    try:
        response = session.post(f"{url}/v1/{endpoint}", json=body, headers=headers, timeout=timeout)
    except requests.Timeout:
        return {"status": 0, "error": "timeout"}
    except requests.ConnectionError:
        return {"status": 0, "error": "connection"}
    try:
        document = response.json()
    except ValueError:
        return {"status": response.status_code, "error": "not-json"}
    if response.status_code >= 300:
        error = document.get("error") if isinstance(document, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("code"), str) or not error.get("message"):
            return {"status": response.status_code, "error": "bad-shape"}
        kind = "5xx" if response.status_code >= 500 else "4xx"
        return {"status": response.status_code, "error": kind, "error_code": error["code"]}
    if not isinstance(document, dict) or not {"found", "degraded", "source"} <= document.keys() or (
        endpoint == "context" and len(document.get("traceId", "")) != 32
    ):
        return {"status": response.status_code, "error": "bad-shape"}
    return {"status": response.status_code, "error": "", "found": document["found"],
            "degraded": document["degraded"], "source": document["source"],
            "customer_id": document.get("customerId")}


def drive(url: str, sessions: list[requests.Session], seconds: float, *, timeout: float = 5.0,
          pause_s: float = 0.0, min_requests: int = 0, worker_pids: tuple[int, ...] = ()) -> tuple[float, list[Sample]]:
    """POST from one thread per session for `seconds` (and until each sent min_requests); returns
    (start time.monotonic(), samples).

    Session i asks for number (i * 5 + k) % len(NUMBERS) on its k-th request, so any len(NUMBERS) requests
    in a row walk every number; even requests go to /v1/customer, odd ones to /v1/context. pause_s between
    requests per thread. With worker_pids, each sample notes those workers' run-queue waits meanwhile.
    """
    samples: list[Sample] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds

    def run(index: int, session: requests.Session):
        own = []
        k = 0
        while time.monotonic() < stop_at or k < min_requests:
            number = NUMBERS[(index * 5 + k) % len(NUMBERS)]
            endpoint = "customer" if k % 2 == 0 else "context"
            workers = {pid: process_run_delay(pid) for pid in worker_pids}
            delay = thread_run_delay()
            sent = time.monotonic()
            result = _one(session, url, endpoint, number, k, timeout, correlation_id(index, sent))
            seconds_taken = time.monotonic() - sent
            delay = thread_run_delay() - delay
            workers = {pid: process_run_delay(pid) - before for pid, before in workers.items()}
            own.append(Sample(index, endpoint, number, sent - started, seconds_taken, **result,
                              started=sent, run_delay_s=delay, worker_run_delay_s=workers))
            k += 1
            if pause_s:
                time.sleep(pause_s)
        with lock:
            samples.extend(own)

    threads = [threading.Thread(target=run, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Bounded: each thread stops at stop_at (or after min_requests) and a request waits at most `timeout`.
        thread.join(seconds + (min_requests + 1) * (timeout + pause_s) + 10)
    return started, samples


def connections_opened(session: requests.Session) -> int:
    """How many TCP connections this session's pools opened so far."""
    manager = session.get_adapter("http://").poolmanager
    return sum(pool.num_connections for pool in manager.pools._container.values())


# -- figures ----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclasses.dataclass
class PhaseFigures:
    """What one phase measured, client side."""

    name: str
    seconds: float
    sent: int
    answered: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    flags: dict[str, int]  # "found/degraded/source" -> count
    stub_requests: int = 0
    server_ms: list[float] = dataclasses.field(default_factory=list)  # duration_ms of the access lines

    @classmethod
    def of(cls, name: str, seconds: float, samples: list[Sample], stub_requests: int = 0,
           server_ms: list[float] | None = None) -> PhaseFigures:
        latencies = [s.seconds * 1000 for s in samples]
        errors = collections.Counter(s.error for s in samples if s.error)
        flags = collections.Counter(
            f"{'found' if s.found else 'not-found'}/{'degraded' if s.degraded else 'ok'}/{s.source}"
            for s in samples if s.error == ""
        )
        flags.update(f"{s.status} {s.error_code}" for s in samples if s.error_code)
        return cls(name, seconds, len(samples), sum(s.answered for s in samples), percentile(latencies, 50),
                   percentile(latencies, 99), max(latencies, default=0.0), dict(errors), dict(flags), stub_requests,
                   list(server_ms or []))

    def line(self) -> str:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "none"
        flags = ", ".join(f"{k} {v}" for k, v in sorted(self.flags.items()))
        server = ""
        if self.server_ms:
            server = f"(server p99 {percentile(self.server_ms, 99):>6.1f} max {max(self.server_ms):>6.1f} ms)  "
        return (f"{self.name:<14} sent {self.sent:>6}  answered {self.answered:>6}  "
                f"{self.sent / self.seconds if self.seconds else 0:>5.0f} req/s  p50 {self.p50_ms:>6.1f} ms  "
                f"p99 {self.p99_ms:>6.1f} ms  max {self.max_ms:>6.1f} ms  {server}CRM asked {self.stub_requests:>5}  "
                f"errors: {errors}  flags: {flags}")


# -- server side ------------------------------------------------------------------------------------


def scrape(url: str) -> collections.Counter:
    """Every sample of GET /metrics as {(name, sorted labels): value}."""
    response = requests.get(f"{url}/metrics", timeout=5)
    response.raise_for_status()
    return collections.Counter({
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    })


def metric(samples: collections.Counter, name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(after: collections.Counter, before: collections.Counter) -> collections.Counter:
    """after - before for every sample (negative values kept: a counter going down is a finding)."""
    keys = after.keys() | before.keys()
    return collections.Counter({key: after.get(key, 0.0) - before.get(key, 0.0) for key in keys})


def api_durations_ms(server: GunicornServer) -> list[float]:
    """duration_ms of every /v1/ access line so far, in the order the workers wrote them."""
    return [line["duration_ms"] for line in server.access_lines() if line.get("path", "").startswith("/v1/")]


def server_ms_by_correlation_id(server: GunicornServer, field: str = "duration_ms") -> dict[str, float]:
    """duration_ms (or another number `field`) of every /v1/ access line so far, by the ININ-Correlation-Id
    the request carried."""
    return {line["ininCorrelationId"]: line[field] for line in server.access_lines()
            if line.get("path", "").startswith("/v1/")}


# A process of its own (no GIL shared with the load threads) that asks to wake every 5 ms and notes when
# the host let it run late: how long nothing on this machine could have been scheduled promptly.
_STALL_WATCH = """
import sys, time
while True:
    asked = time.monotonic()
    time.sleep(0.005)
    late = time.monotonic() - asked - 0.005
    if late > 0.002:
        print(f"{asked + 0.005:.6f} {late:.6f}", flush=True)
"""


class HostStalls:
    """Times the host left runnable processes waiting (other jobs on a shared CI machine); a context manager."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.stalls: list[tuple[float, float]] = []  # (start, end) in time.monotonic()

    def __enter__(self) -> HostStalls:
        self.process = subprocess.Popen([sys.executable, "-c", _STALL_WATCH], stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc) -> None:
        self.process.kill()
        output, _ = self.process.communicate(timeout=10)
        for line in output.splitlines():
            start, late = map(float, line.split())
            self.stalls.append((start, start + late))
        self.stalls.sort()

    def during(self, start: float, end: float) -> float:
        """Seconds of host stall overlapping [start, end]."""
        # Stalls are short and never overlap each other (one watcher): look back from the first one after.
        index = bisect.bisect_left(self.stalls, (end, end))
        total = 0.0
        while index > 0:
            index -= 1
            stall_start, stall_end = self.stalls[index]
            if stall_end <= start:
                break
            total += max(0.0, min(end, stall_end) - max(start, stall_start))
        return total

    def longest(self) -> float:
        """The longest single stall seen, in seconds."""
        return max((end - start for start, end in self.stalls), default=0.0)


def worker_pids(server: GunicornServer) -> set[int]:
    """The gunicorn master's child processes, from /proc."""
    pid = server.process.pid
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def wait_for_workers(server: GunicornServer, count: int, timeout: float = 20.0) -> set[int]:
    """The worker pids once `count` workers have booted (gunicorn's healthz answers after the first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(server)
        if len(pids) == count and server.log_text().count("Booting worker with pid") >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"{count} workers did not boot in {timeout} s:\n{server.log_text()}")


def rss_kb(pid: int) -> int:
    """Resident set size of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for pid {pid}")


# gunicorn/arbiter.py: a new worker, a worker leaving, the timeout kill, death by a signal, a non-zero exit.
RESTART_SIGNS = ("Booting worker", "Worker exiting", "WORKER TIMEOUT", "was sent", "exited with code")


def restart_signs(log_text: str) -> list[str]:
    """gunicorn log lines that mean a worker died, timed out or was replaced."""
    return [line for line in log_text.splitlines() if any(sign in line for sign in RESTART_SIGNS)]
