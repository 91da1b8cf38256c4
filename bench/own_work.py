"""The service's own work per request (its time above bare Flask), now against an earlier commit, in one run.

`python -m bench own_work` (or `make bench BENCH_ARGS=own_work`). The commit to compare with is
BEFORE_HOT_PATH, the last one before the hot-path cuts of docs/performance.md §2; `COMPANION_BENCH_AGAINST`
names another. That commit is checked out into a temporary git worktree, and each side runs in a process of
its own (its own modules, its own demo CRM built by its own code), the two sides taking turns, SIDE_RUNS
times each; a side's figure per endpoint is its best run.

A run calls the WSGI app in process (no sockets, as `overhead` does) with the bodies `context` sends under
load: 1,000 conversation ids, and callers of whom about half are in the demo CRM, in Architect's ANI forms.
The bare-Flask baseline runs in the same process and the same rounds, and own work is the difference.
The target: own work at most half of what it was (TARGET_SHARE) for /v1/trace and /v1/context.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the hot-path cuts (docs/performance.md §2).
BEFORE_HOT_PATH = "22a5a21"
TARGET_SHARE = 0.5
TARGET_PATHS = ("/v1/trace", "/v1/context")
SIDE_RUNS = 3
ROUNDS = 40
CALLS = 500

# Run as `python -c` in a side's checkout; prints {path: [baseline µs, service µs]}.
_SIDE = r"""
import io, itertools, json, logging, os, sys, tempfile, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="companion-bench-metrics-"))
from werkzeug.test import EnvironBuilder
from bench import baseline
from bench.context import request_bodies
from bench.harness import API_KEY, TRACE_SECRET, demo_crm_path
from service import create_app
from service.config import load_settings

rounds, calls = int(sys.argv[1]), int(sys.argv[2])
app = create_app(load_settings({"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
                                "COMPANION_SQLITE_PATH": str(demo_crm_path())}))
sink = open(os.devnull, "w")
for handler in logging.getLogger("companion").handlers:
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(sink)
bodies = [body.encode() for body in request_bodies()]

def caller(wsgi_app, path):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}
    prepared = itertools.cycle([(EnvironBuilder(path=path, method="POST", data=body, headers=headers).get_environ(), body)
                                for body in bodies])
    statuses = []
    def start_response(status, headers, exc_info=None):
        statuses.append(status)
    def call():
        environ, body = next(prepared)
        environ = dict(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        for _chunk in wsgi_app(environ, start_response):
            pass
        if not statuses.pop().startswith("200"):
            raise SystemExit(f"{path} did not answer 200")
    return call

out = {}
for path in ("/v1/trace", "/v1/customer", "/v1/context"):
    sides = [caller(baseline.app, path), caller(app, path)]
    for call in sides:
        for _ in range(1000):
            call()
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, call in enumerate(sides):
            started = time.perf_counter()
            for _ in range(calls):
                call()
            best[index] = min(best[index], (time.perf_counter() - started) / calls * 1e6)
    out[path] = best
print(json.dumps(out))
"""


def _side(checkout: Path, tmp: Path) -> dict[str, list[float]]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    completed = subprocess.run([sys.executable, "-c", _SIDE, str(ROUNDS), str(CALLS)], cwd=checkout, env=env,
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"the run in {checkout} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run(against: str | None = None) -> dict:
    """Print each endpoint's own work then and now, and whether it is at most TARGET_SHARE of what it was."""
    revision = against or os.environ.get("COMPANION_BENCH_AGAINST") or BEFORE_HOT_PATH
    with tempfile.TemporaryDirectory(prefix="companion-own-work-") as scratch:
        scratch = Path(scratch)
        before = scratch / "before"
        added = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), revision],
                               capture_output=True, text=True, check=False)
        if added.returncode != 0:
            print(f"cannot check out {revision} (a clone with its history is needed): {added.stderr.strip()}")
            return {"met": None}
        try:
            sides = {"then": before, "now": ROOT}
            runs: dict[str, list[dict]] = {name: [] for name in sides}
            for _ in range(SIDE_RUNS):
                for name, checkout in sides.items():
                    tmp = scratch / f"tmp-{name}"
                    tmp.mkdir(exist_ok=True)
                    runs[name].append(_side(checkout, tmp))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
                           capture_output=True, check=False)
    print(f"µs per request in process, best of {SIDE_RUNS} runs a side; then = {revision}")
    print(f"{'endpoint':<14} {'then: Flask':>11} {'service':>8} {'own':>6}   {'now: Flask':>10} {'service':>8} "
          f"{'own':>6}   {'own now/then':>12}")
    results = {}
    for path in runs["now"][0]:
        figures = {}
        for name in sides:
            flask = min(run_[path][0] for run_ in runs[name])
            service = min(run_[path][1] for run_ in runs[name])
            figures[name] = (flask, service, service - flask)
        share = figures["now"][2] / figures["then"][2]
        results[path] = {"then_own_us": figures["then"][2], "now_own_us": figures["now"][2], "share": share}
        then, now = figures["then"], figures["now"]
        print(f"{path:<14} {then[0]:>11.1f} {then[1]:>8.1f} {then[2]:>6.1f}   {now[0]:>10.1f} {now[1]:>8.1f} "
              f"{now[2]:>6.1f}   {share:>12.2f}")
    met = all(results[path]["share"] <= TARGET_SHARE for path in TARGET_PATHS)
    print(f"target: own work now at most {TARGET_SHARE:.0%} of then for {', '.join(TARGET_PATHS)} -> "
          f"{'MET' if met else 'MISSED'}")
    return {**results, "met": met}


if __name__ == "__main__":
    run()
