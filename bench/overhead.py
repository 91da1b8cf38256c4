"""Where a request's CPU goes: the service's WSGI app against the bare-Flask baseline, in process.

`python -m bench overhead`. No sockets and no gunicorn: each app is called directly with a prepared WSGI
environ, so what is left is the app's own work, the part the throughput ratios of `trace` and `customer`
measure against the baseline. The service is measured whole, then without its JSON access line, then also
without its Prometheus updates, so the difference between the lines is what each costs per request. Figures
are the best of 7 rounds of 2,000 calls (the least disturbed by whatever else the host runs), the
variants taking turns within each round.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import time
from collections.abc import Callable

from werkzeug.test import EnvironBuilder

from bench import baseline
from bench.harness import API_KEY
from bench.harness import TRACE_SECRET
from bench.harness import demo_crm_path

CALLS = 2000
ROUNDS = 7
REQUESTS = {
    "/v1/trace": b'{"conversationId": "bench-conv-1", "participantId": "p-1"}',
    "/v1/customer": b'{"phone": "tel:+13175550116"}',
    "/v1/context": b'{"conversationId": "bench-conv-1", "phone": "tel:+13175550116"}',
}


def _caller(app, path: str, body: bytes) -> Callable[[], None]:
    environ = EnvironBuilder(
        path=path, method="POST", data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"},
    ).get_environ()
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def call() -> None:
        request = dict(environ)
        request["wsgi.input"] = io.BytesIO(body)
        for _chunk in app(request, start_response):
            pass
        if not statuses.pop().startswith("200"):
            raise RuntimeError(f"{path} did not answer 200 in the overhead benchmark")

    return call


def _best_us(variants: dict[str, tuple[Callable[[], None], Callable[[], None]]], rounds: int = ROUNDS,
             calls: int = CALLS) -> dict[str, float]:
    """name -> (prepare, call): µs per call, the best round of each; the variants take turns every round,
    so a slow spell on the shared host lands on all of them instead of on one."""
    for prepare, call in variants.values():
        prepare()
        for _ in range(300):
            call()
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, (prepare, call) in variants.items():
            prepare()
            started = time.perf_counter()
            for _ in range(calls):
                call()
            best[name] = min(best[name], (time.perf_counter() - started) / calls)
    return {name: seconds * 1e6 for name, seconds in best.items()}


class _MetricsSwitch:
    """Turns the service's Prometheus updates off and on again: the request histogram, the CRM histogram and
    the in-flight gauge of `app`'s request timing wrapper. Both answer paths (Flask's hooks and the direct
    answers) record through these, so switching them covers either."""

    def __init__(self, app):
        from service import metrics

        self.metrics = metrics
        self.timing = app.wsgi_app
        self.served = (metrics._request_observer, metrics._crm_observers, self.timing._enter, self.timing._leave)

        def nothing(*_args):
            return None

        self.off_state = (lambda _rule, _status: nothing, {outcome: nothing for outcome in metrics.CRM_OUTCOMES},
                          nothing, nothing)

    def _set(self, state) -> None:
        self.metrics._request_observer, self.metrics._crm_observers, self.timing._enter, self.timing._leave = state

    def on(self) -> None:
        self._set(self.served)

    def off(self) -> None:
        self._set(self.off_state)


def run() -> dict:
    """Print µs per request for each endpoint and variant, and what each part adds over the baseline."""
    # prometheus-client's multiprocess mode, as under gunicorn: samples go to files in this directory.
    metrics_dir = tempfile.mkdtemp(prefix="companion-bench-metrics-")
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
    from service import create_app
    from service.config import load_settings
    from service.logs import ACCESS_LOGGER

    settings = load_settings({
        "COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_crm_path()),
    })
    app = create_app(settings)
    metrics_switch = _MetricsSwitch(app)
    # The access line goes to a file, as under gunicorn, not to this terminal.
    sink = open(os.devnull, "w")  # noqa: SIM115 (closed below)
    handlers = logging.getLogger("companion").handlers
    streams = [(handler, handler.setStream(sink)) for handler in handlers if isinstance(handler, logging.StreamHandler)]
    access = logging.getLogger(ACCESS_LOGGER)

    def logging_on() -> None:
        metrics_switch.on()
        access.disabled = False

    def logging_off() -> None:
        metrics_switch.on()
        access.disabled = True

    def nothing_recorded() -> None:
        metrics_switch.off()
        access.disabled = True

    measured = {}
    try:
        for path, body in REQUESTS.items():
            measured[path] = _best_us({
                "baseline": (logging_on, _caller(baseline.app, path, body)),
                "full": (logging_on, _caller(app, path, body)),
                "no_log": (logging_off, _caller(app, path, body)),
                "bare": (nothing_recorded, _caller(app, path, body)),
            })
    finally:
        metrics_switch.on()
        access.disabled = False
        for handler, stream in streams:
            handler.setStream(stream)
        sink.close()
    results = {}
    print("µs per request, in process")
    print(f"{'endpoint':<16} {'baseline':>9} {'service':>9} {'ratio':>6} {'access log':>11} "
          f"{'metrics':>8} {'the rest':>9}")
    for path, us in measured.items():
        results[path] = {
            "baseline_us": us["baseline"], "service_us": us["full"], "ratio": us["baseline"] / us["full"],
            "access_log_us": us["full"] - us["no_log"], "metrics_us": us["no_log"] - us["bare"],
            "rest_us": us["bare"] - us["baseline"],
        }
        row = results[path]
        print(f"{path:<16} {row['baseline_us']:>9.1f} {row['service_us']:>9.1f} {row['ratio']:>6.2f} "
              f"{row['access_log_us']:>11.1f} {row['metrics_us']:>8.1f} {row['rest_us']:>9.1f}")
    print("ratio: baseline / service time; the last three columns add up to service minus baseline")
    return results


if __name__ == "__main__":
    run()
