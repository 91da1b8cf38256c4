"""Each cut in the service's per-request work measured on its own, in process, in one interleaved run.

`python -m bench hot_path`. Like `overhead`, the WSGI app is called directly (no sockets, no gunicorn). The
same app is measured as it runs and with one cut of docs/performance.md §2 undone at a time, the variants
taking turns in every round. A cut's saving is its variant's time minus the service's; each figure is the
best of 40 rounds of 300 calls (many short rounds: on a busy host, the best of them is the least disturbed).

The cut undone by each variant:
- "direct answers": the request answered by Flask alone, without service/direct_answers.py in front;
- "formatter log": a pass-through filter on the companion logger sends the access line through a LogRecord
  and the JSON formatter again;
- "ma load": the request loaders are not compiled, so marshmallow's schema.load() validates every body;
- "ma dump": the trace part of the answer is TraceResponse().dump() instead of read off the context;
- "json answers": answers encoded by Flask's own JSON provider (the json module) instead of orjson;
- "hmac objects": the trace ids derived through hmac.new() objects instead of the one-shot hmac.digest();
- "body stream": the body read through werkzeug's stream wrapper (request.get_data());
- "flask hooks": the request's start stamped, and counted in flight, by Flask hooks and the request
  globals instead of the WSGI wrapper (service/request_timing.py);
  these two are cuts in Flask's path, so they are measured on Flask alone, against "direct answers";
- "sorted lookup": the demo CRM with the single-column indexes of before, so a lookup sorts its matches.
"""

from __future__ import annotations

import hmac
import logging
import os
import shutil
import tempfile
import time
import types

from flask.json.provider import DefaultJSONProvider

from bench import baseline
from bench.harness import API_KEY
from bench.harness import TRACE_SECRET
from bench.harness import demo_crm_path
from bench.overhead import REQUESTS
from bench.overhead import _best_us
from bench.overhead import _caller
from tests.crm.conftest import use_single_column_indexes

# Cuts of Flask's path, which the direct answers skip: measured on Flask alone, against "direct answers".
FLASK_PATH_CUTS = ("body stream", "flask hooks")
ROUNDS = 40
CALLS = 300
CUTS = ("direct answers", "formatter log", "ma load", "ma dump", "json answers", "hmac objects", "body stream", "flask hooks",
        "sorted lookup")


class _PassEverything(logging.Filter):
    def filter(self, record):
        return True


def _with_single_column_indexes(source, scratch: str):
    """A copy of the demo CRM with the lookup indexes files had before the sorted ones."""
    path = os.path.join(scratch, "sorted-lookup.sqlite3")
    shutil.copyfile(source, path)
    use_single_column_indexes(path)
    return path


def _flask_alone(app):
    """The Flask app's own WSGI callable, behind neither the request timing wrapper nor the direct answers."""
    return app.wsgi_app.wsgi_app.flask


def _hooks_instead_of_wrapper(app, in_flight) -> None:
    """The start stamped and the request counted in flight as before service/request_timing.py: by hooks."""
    from flask import g
    from flask import request

    from service.request_timing import STARTED_KEY

    app.wsgi_app = _flask_alone(app)

    def _start():
        g.metrics_started = started = time.perf_counter()
        request.environ[STARTED_KEY] = started
        in_flight.inc()

    def _access_start():
        g.request_started = time.perf_counter()

    def _finish(_error):
        if g.pop("metrics_started", None) is not None:
            in_flight.dec()

    app.before_request_funcs.setdefault(None, []).extend([_access_start, _start])
    app.teardown_request_funcs.setdefault(None, []).append(_finish)


def run() -> dict:
    """Print µs per request for the service, each cut undone, and the bare-Flask baseline."""
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="companion-bench-metrics-"))
    from schemas import TraceResponse
    from service import create_app
    from service import body
    from service import metrics
    from service import tracing
    from service.api import customer
    from service.api import trace
    from service.config import load_settings
    from service.request_timing import RequestTiming

    scratch = tempfile.mkdtemp(prefix="companion-bench-hot-path-")

    def app_over(path):
        return create_app(load_settings({
            "COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_SQLITE_PATH": str(path),
        }))

    app = app_over(demo_crm_path())
    sorted_app = app_over(_with_single_column_indexes(demo_crm_path(), scratch))
    hooks_app = app_over(demo_crm_path())
    _hooks_instead_of_wrapper(hooks_app, metrics.IN_FLIGHT)
    flask_app = app_over(demo_crm_path())
    flask_app.wsgi_app = RequestTiming(_flask_alone(flask_app), metrics.IN_FLIGHT)
    stdlib_json = DefaultJSONProvider(app)
    stdlib_json.sort_keys = False

    def stdlib_body(obj) -> bytes:
        # What DefaultJSONProvider.response sends in compact mode.
        return f"{stdlib_json.dumps(obj, separators=(',', ':'))}\n".encode()

    loaders = (trace.TRACE_REQUEST, customer.CUSTOMER_QUERY, customer.CONTEXT_REQUEST)
    root = logging.getLogger("companion")
    sink = open(os.devnull, "w")  # noqa: SIM115 (closed below)
    streams = [(handler, handler.setStream(sink)) for handler in root.handlers
               if isinstance(handler, logging.StreamHandler)]
    through_formatter = _PassEverything()
    served_answer = trace.trace_answer
    dumped_answer = TraceResponse().dump
    one_shot_hmac = tracing.hmac
    hmac_objects = types.SimpleNamespace(digest=lambda key, message, name: hmac.new(key, message, name).digest())
    read_body = body._read_body

    def as_served() -> None:
        root.removeFilter(through_formatter)
        for loader in loaders:
            loader.compiled = True
        trace.trace_answer = customer.trace_answer = served_answer
        app.json.__dict__.pop("answer_body", None)  # the "json answers" cut's stand-in, on app's provider only
        tracing.hmac = one_shot_hmac
        body._read_body = read_body

    def undo(cut: str):
        def prepare() -> None:
            as_served()
            if cut == "formatter log":
                root.addFilter(through_formatter)
            elif cut == "ma load":
                for loader in loaders:
                    loader.compiled = False
            elif cut == "ma dump":
                trace.trace_answer = customer.trace_answer = dumped_answer
            elif cut == "json answers":
                # On the provider itself, so both answer paths use it and the direct answers stay on.
                app.json.answer_body = stdlib_body
            elif cut == "hmac objects":
                tracing.hmac = hmac_objects
            elif cut == "body stream":
                body._read_body = lambda req: req.get_data(cache=False)
        return prepare

    measured = {}
    try:
        for path, request_body in REQUESTS.items():
            call = _caller(app, path, request_body)
            variants = {
                "baseline": (as_served, _caller(baseline.app, path, request_body)),
                "service": (as_served, call),
            }
            for cut in CUTS:
                if cut == "ma dump" and path == "/v1/customer":
                    continue  # no trace part
                app_for_cut = {"sorted lookup": sorted_app, "flask hooks": hooks_app, "direct answers": flask_app,
                               "body stream": flask_app}.get(cut, app)
                if cut == "sorted lookup" and path == "/v1/trace":
                    continue  # no lookup
                variants[cut] = (undo(cut), call if app_for_cut is app else _caller(app_for_cut, path, request_body))
            measured[path] = _best_us(variants, rounds=ROUNDS, calls=CALLS)
    finally:
        as_served()
        for handler, stream in streams:
            handler.setStream(stream)
        sink.close()
        shutil.rmtree(scratch, ignore_errors=True)
    print("µs per request, in process; each cut's column is what undoing it adds to the service's time (for "
          f"{' and '.join(FLASK_PATH_CUTS)}: to Flask alone's)")
    print(f"{'endpoint':<14} {'baseline':>9} {'service':>9}" + "".join(f" {cut:>13}" for cut in CUTS))
    results = {}
    for path, us in measured.items():
        saves = {cut: us[cut] - us["direct answers" if cut in FLASK_PATH_CUTS else "service"] for cut in CUTS
                 if cut in us}
        results[path] = {"baseline_us": us["baseline"], "service_us": us["service"], "saves_us": saves}
        print(f"{path:<14} {us['baseline']:>9.1f} {us['service']:>9.1f}"
              + "".join(f" {saves[cut]:>13.1f}" if cut in saves else f" {'-':>13}" for cut in CUTS))
    return results


if __name__ == "__main__":
    run()
