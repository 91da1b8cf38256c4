"""Shared benchmark machinery: start gunicorn, drive load with wrk (or a Python client), report figures."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from tests.servers import GunicornServer

API_KEY = "bench-key-0123456789abcdef"
TRACE_SECRET = "bench-trace-secret-0123456789"
# The production log level: the JSON access line per request is part of what a request costs (it goes to
# the server's log file, as it would go to a container's log).
BASE_ENV = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_LOG_LEVEL": "INFO"}
HEADERS = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}


@dataclasses.dataclass
class LoadResult:
    """What one load run measured."""

    label: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx answers plus socket errors and timeouts
    tool: str

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.rps:>9.0f} req/s  p50 {self.p50_ms:>7.2f} ms  p99 {self.p99_ms:>7.2f} ms  "
            f"max {self.max_ms:>8.2f} ms  errors {self.errors}  ({self.requests} requests, {self.tool})"
        )


def wrk_path() -> str | None:
    """wrk from Debian's packages; installed on first use when running as root (CI machines are)."""
    found = shutil.which("wrk")
    if found or os.environ.get("BENCH_NO_INSTALL") or os.geteuid() != 0:
        return found
    print("installing wrk from Debian's packages ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    return shutil.which("wrk")


_WRK_SCRIPT = """
local bodies = {%(bodies)s}
local headers = {%(headers)s}
local n = #bodies
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", nil, headers, bodies[math.random(n)])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON %%d %%d %%d %%d %%d %%d %%.3f %%.3f %%.3f\\n",
    summary.requests, summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status, latency:percentile(50), latency:percentile(99),
    latency.max, 0, 0))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # JSON string escapes are valid Lua string escapes for this ASCII payload


def _run_wrk(wrk: str, url: str, bodies: Sequence[str], connections: int, seconds: float, label: str) -> LoadResult:
    script = _WRK_SCRIPT % {
        "bodies": ",".join(_lua_string(b) for b in bodies),
        "headers": ",".join(f"[{_lua_string(k)}]={_lua_string(v)}" for k, v in HEADERS.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(
            [wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s", "-s", handle.name, url],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    match = re.search(r"^JSON (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) ([\d.]+)", completed.stdout, re.M)
    if not match:
        raise RuntimeError(f"could not read wrk output:\n{completed.stdout}\n{completed.stderr}")
    requests, duration_us, socket_errors, status_errors, p50_us, p99_us, max_us = match.groups()
    duration = int(duration_us) / 1e6
    return LoadResult(
        label=label,
        requests=int(requests),
        seconds=duration,
        rps=int(requests) / duration,
        p50_ms=int(p50_us) / 1000,
        p99_ms=int(p99_us) / 1000,
        max_ms=float(max_us) / 1000,
        errors=int(socket_errors) + int(status_errors),
        tool="wrk",
    )


def _run_python(url: str, bodies: Sequence[str], connections: int, seconds: float, label: str) -> LoadResult:
    """A keep-alive client per thread; used where wrk is unavailable (it costs more CPU than wrk)."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(seed: int):
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        own, own_errors = [], 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("POST", parts.path, body=rng.choice(bodies), headers=HEADERS)
                response = connection.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    own_errors += 1
            except (OSError, http.client.HTTPException):
                own_errors += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            own.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(own)
            errors[0] += own_errors

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return LoadResult(
        label=label,
        requests=len(latencies),
        seconds=duration,
        rps=len(latencies) / duration,
        p50_ms=cuts[49] * 1000,
        p99_ms=cuts[98] * 1000,
        max_ms=max(latencies, default=0.0) * 1000,
        errors=errors[0],
        tool="python",
    )


def timed_ms(call: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds each of `runs` calls took, in order (in-process benchmarks take the median)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def run_load(
    url: str, bodies: Sequence[str], *, connections: int = 16, seconds: float = 10.0, label: str = ""
) -> LoadResult:
    """POST random bodies from `bodies` to url with `connections` keep-alive connections for `seconds`."""
    wrk = wrk_path()
    if wrk:
        return _run_wrk(wrk, url, bodies, connections, seconds, label or url)
    return _run_python(url, bodies, connections, seconds, label or url)


def warm_up(url: str, bodies: Sequence[str]) -> None:
    """A short load first, so imports, connection pools and SQLite pages are warm in every worker."""
    run_load(url, bodies, connections=4, seconds=2, label="warm-up")


def demo_crm_path() -> Path:
    """A demo CRM database under the temporary directory (created once), for services that need no other."""
    path = Path(tempfile.gettempdir()) / "companion-bench" / "demo-crm.sqlite3"
    if not path.exists():
        from service.crm.demo import create_demo_database

        path.parent.mkdir(parents=True, exist_ok=True)
        create_demo_database(path)
    return path


def serve(env: dict[str, str] | None = None, app: str | None = None) -> GunicornServer:
    """A started gunicorn with the repository config and BASE_ENV plus env; caller stops it."""
    return GunicornServer({**BASE_ENV, "COMPANION_SQLITE_PATH": str(demo_crm_path()), **(env or {})}, app=app).start()


def compare_with_baseline(
    path: str,
    bodies: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    connections: int = 16,
    seconds: float = 10.0,
    label: str = "",
    rounds: int = 5,
) -> tuple[LoadResult, LoadResult]:
    """Load the service's `path` and, with the same gunicorn config, the bare-Flask baseline; both warmed up.

    Both servers run at once and take turns, `rounds` short runs each (`seconds` in all per side), so a
    change in what else the shared host is doing lands on both sides instead of skewing the ratio. The
    figures per side: requests and seconds summed, p50 and p99 the median of the rounds', max the largest.
    """
    return compare_in_turns(
        path, bodies, [(label or path, env, None), ("bare Flask baseline", env, "bench.baseline:app")],
        connections=connections, seconds=seconds, rounds=rounds,
    )


def compare_in_turns(
    path: str,
    bodies: Sequence[str],
    sides: Sequence[tuple[str, dict[str, str] | None, str | None]],
    *,
    connections: int = 16,
    seconds: float = 10.0,
    rounds: int = 5,
) -> tuple[LoadResult, ...]:
    """Load `path` on one gunicorn per side (label, env, app or None for the service), taking turns as
    compare_with_baseline describes; one combined LoadResult per side, in order."""
    runs = compare_sides(path, bodies, sides, connections=connections, seconds=seconds, rounds=rounds)
    print("per-round ratios: " + ", ".join(f"{s.rps / b.rps:.2f}" for s, b in zip(runs[0], runs[-1]) if b.rps))
    return tuple(combine_rounds(side) for side in runs)


def report_ratio(service: LoadResult, baseline: LoadResult) -> float:
    """Print both lines and the throughput ratio; return the ratio."""
    ratio = service.rps / baseline.rps if baseline.rps else 0.0
    print(service.line())
    print(baseline.line())
    print(f"{'throughput ratio':<28} {ratio:>9.2f}")
    return ratio


def compare_sides(
    path: str,
    bodies: Sequence[str],
    sides: Sequence[tuple[str, dict[str, str] | None, str | None]],
    *,
    connections: int = 16,
    seconds: float = 10.0,
    rounds: int = 5,
) -> list[list[LoadResult]]:
    """compare_with_baseline for any number of servers: each side is (label, env, app); all run at once and
    take turns, `rounds` short runs each, so load from elsewhere lands on every side alike. Returns each
    side's rounds (combine them with combine_rounds)."""
    servers = []
    try:
        for _label, env, app in sides:
            servers.append(serve(env, app=app))
        urls = [f"{server.url}{path}" for server in servers]
        for url in urls:
            warm_up(url, bodies)
        runs: list[list[LoadResult]] = [[] for _ in sides]
        for _ in range(rounds):
            for side, url in enumerate(urls):
                runs[side].append(run_load(url, bodies, connections=connections, seconds=max(2.0, seconds / rounds),
                                           label=sides[side][0]))
    finally:
        for server in servers:
            server.stop()
            Path(server.log_path).unlink(missing_ok=True)
    return runs


def combine_rounds(results: list[LoadResult]) -> LoadResult:
    """One side's rounds as one result: requests and seconds summed, p50/p99 the rounds' median, max the largest."""
    requests = sum(r.requests for r in results)
    seconds = sum(r.seconds for r in results)
    return LoadResult(
        label=results[0].label,
        requests=requests,
        seconds=seconds,
        rps=requests / seconds if seconds else 0.0,
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        max_ms=max(r.max_ms for r in results),
        errors=sum(r.errors for r in results),
        tool=results[0].tool,
    )


def report_cpu_ratio(rows: int, baseline: tuple[str, list], measured: tuple[str, list], target: float) -> dict:
    """Print the best (least CPU) of each side's (wall s, CPU s) runs and their CPU ratio against `target`."""
    (base_label, base_runs), (label, runs) = baseline, measured
    (base_wall, base_cpu), (wall, cpu) = min(base_runs, key=lambda r: r[1]), min(runs, key=lambda r: r[1])
    ratio = cpu / base_cpu
    met = ratio <= target
    width = max(len(base_label), len(label))
    for side, run_wall, run_cpu in ((base_label, base_wall, base_cpu), (label, wall, cpu)):
        print(f"{side:<{width}} {rows:>9,} rows  CPU {run_cpu:6.1f} s  wall {run_wall:6.1f} s")
    print(f"CPU ratio {ratio:.2f} (target <= {target}) -> {'MET' if met else 'MISSED'}")
    return {"baseline_cpu_seconds": base_cpu, "cpu_seconds": cpu, "seconds": wall, "ratio": ratio, "met": met}
