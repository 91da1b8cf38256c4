"""Each cut in the service's per-request work measured on its own, in process, in one interleaved run.

`python -m bench hot_path`. Like `overhead`, the WSGI app is called directly (no sockets, no gunicorn). The
same app is measured as it runs and with one cut undone at a time, the variants taking turns in every round:

- "formatter access line": a pass-through filter on the companion logger sends the access line through a
  LogRecord and the JSON formatter again (what every request paid before);
- "marshmallow load": the request loaders are not compiled, so schema.load() validates every body;
- "marshmallow dump": the trace part of the answer is TraceResponse().dump() instead of read off the context.

A cut's saving is its variant's time minus the service's; each is the best of 40 rounds of 300 calls (many
short rounds: on a busy host, the best of them is the least disturbed).
"""

from __future__ import annotations

import logging
import os
import tempfile

from bench import baseline
from bench.harness import API_KEY
from bench.harness import TRACE_SECRET
from bench.harness import demo_crm_path
from bench.overhead import REQUESTS
from bench.overhead import _best_us
from bench.overhead import _caller


ROUNDS = 40
CALLS = 300


class _PassEverything(logging.Filter):
    def filter(self, record):
        return True


def run() -> dict:
    """Print µs per request for the service, each cut undone, and the bare-Flask baseline."""
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="companion-bench-metrics-"))
    from service import create_app
    from service.api import customer
    from service.api import trace
    from service.config import load_settings
    from schemas import TraceResponse

    app = create_app(load_settings({
        "COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_crm_path()),
    }))
    loaders = (trace._request_loader, customer._customer_query, customer._context_request)
    root = logging.getLogger("companion")
    sink = open(os.devnull, "w")  # noqa: SIM115 (closed below)
    streams = [(handler, handler.setStream(sink)) for handler in root.handlers
               if isinstance(handler, logging.StreamHandler)]
    through_formatter = _PassEverything()
    served_answer = trace.trace_answer
    dumped_answer = TraceResponse().dump

    def as_served() -> None:
        root.removeFilter(through_formatter)
        for loader in loaders:
            loader.compiled = True
        trace.trace_answer = customer.trace_answer = served_answer

    def marshmallow_dump() -> None:
        as_served()
        trace.trace_answer = customer.trace_answer = dumped_answer

    def formatter_access_line() -> None:
        as_served()
        root.addFilter(through_formatter)

    def marshmallow_load() -> None:
        as_served()
        for loader in loaders:
            loader.compiled = False

    measured = {}
    try:
        for path, body in REQUESTS.items():
            call = _caller(app, path, body)
            measured[path] = _best_us({
                "baseline": (as_served, _caller(baseline.app, path, body)),
                "service": (as_served, call),
                "formatter access line": (formatter_access_line, call),
                "marshmallow load": (marshmallow_load, call),
                "marshmallow dump": (marshmallow_dump, call),
            }, rounds=ROUNDS, calls=CALLS)
    finally:
        as_served()
        for handler, stream in streams:
            handler.setStream(stream)
        sink.close()
    print("µs per request, in process; a cut's saving is its column minus the service's")
    print(f"{'endpoint':<14} {'baseline':>9} {'service':>9} {'formatter log':>14} {'saves':>6} "
          f"{'ma load':>8} {'saves':>6} {'ma dump':>8} {'saves':>6}")
    results = {}
    for path, us in measured.items():
        results[path] = {
            "baseline_us": us["baseline"], "service_us": us["service"],
            "access_line_saves_us": us["formatter access line"] - us["service"],
            "compiled_load_saves_us": us["marshmallow load"] - us["service"],
            "direct_answer_saves_us": us["marshmallow dump"] - us["service"],
        }
        print(f"{path:<14} {us['baseline']:>9.1f} {us['service']:>9.1f} {us['formatter access line']:>14.1f} "
              f"{results[path]['access_line_saves_us']:>6.1f} {us['marshmallow load']:>8.1f} "
              f"{results[path]['compiled_load_saves_us']:>6.1f} {us['marshmallow dump']:>8.1f} "
              f"{results[path]['direct_answer_saves_us']:>6.1f}")
    return results


if __name__ == "__main__":
    run()
