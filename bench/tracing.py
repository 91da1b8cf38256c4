"""POST /v1/context with span export on against the same service with it off, in one run (issue 19).

`python -m bench tracing`. Three gunicorn servers with the same settings take turns under the same load: one
exporting every request's span over OTLP/HTTP to a local receiver (a process of its own that reads and
acknowledges the batches without decoding them: a real collector runs elsewhere), one exporting to a
receiver that is down, and one without tracing. Then the first and the last as apps in process, called
directly, for the CPU a span costs per request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator

from bench.harness import API_KEY
from bench.harness import TRACE_SECRET
from bench.harness import compare_in_turns
from bench.harness import demo_crm_path
from bench.harness import report_ratio
from bench.overhead import _best_us
from bench.overhead import _caller
from tests.otlp_receiver import closed_port_url
from tests.servers import ROOT

TARGET_RATIO = 0.85
PATH = "/v1/context"


def _bodies() -> list[str]:
    # 1,000 conversations (so the per-conversation root spans are reported once each, then cached) and known
    # callers, unknown callers and no phone at all.
    phones = ["tel:+13175550116", "tel:+13175550123", "tel:+13125550999", ""]
    return [json.dumps({"conversationId": f"bench-conv-{n}", "participantId": f"p-{n % 3}", "phone": phones[n % 4]})
            for n in range(1000)]


@contextlib.contextmanager
def _receiver() -> Iterator[tuple[str, list[int]]]:
    """(endpoint, [export requests, filled in at exit]) of a receiver running in its own process."""
    process = subprocess.Popen([sys.executable, "-m", "tests.otlp_receiver", "--no-decode"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    counted: list[int] = []
    try:
        yield process.stdout.readline().strip(), counted
    finally:
        out, _ = process.communicate("", timeout=30)
        counted.append(int(out.strip() or 0))


def _in_process_us(endpoint: str) -> dict[str, float]:
    from service import create_app
    from service.config import load_settings

    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="companion-bench-metrics-"))
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
           "COMPANION_SQLITE_PATH": str(demo_crm_path())}
    off = create_app(load_settings(env))
    on = create_app(load_settings({**env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}))
    sink = open(os.devnull, "w")  # noqa: SIM115 (closed below)
    handlers = [h for h in logging.getLogger("companion").handlers if isinstance(h, logging.StreamHandler)]
    streams = [(handler, handler.setStream(sink)) for handler in handlers]
    body = b'{"conversationId": "bench-conv-1", "participantId": "p-1", "phone": "tel:+13175550116"}'
    try:
        return _best_us({"off": (lambda: None, _caller(off, PATH, body)), "on": (lambda: None, _caller(on, PATH, body))})
    finally:
        on.extensions["companion.spans"].shutdown()
        for handler, stream in streams:
            handler.setStream(stream)
        sink.close()


def run(seconds: float = 10.0) -> dict:
    """Throughput and latency with tracing on and off at 16 connections, then µs per request in process."""
    bodies = _bodies()
    with _receiver() as (endpoint, exports):
        traced, receiver_down, untraced = compare_in_turns(
            PATH, bodies,
            [("POST /v1/context, tracing on", {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, None),
             ("  ... receiver down", {"OTEL_EXPORTER_OTLP_ENDPOINT": closed_port_url()}, None),
             ("POST /v1/context, tracing off", None, None)],
            seconds=seconds,
        )
        us = _in_process_us(endpoint)
    print(receiver_down.line())
    ratio = report_ratio(traced, untraced)
    down_ratio = receiver_down.rps / untraced.rps if untraced.rps else 0.0
    print(f"{'  ... receiver down / off':<28} {down_ratio:>9.2f}")
    print(f"{'export requests received':<28} {exports[0]:>9}")
    print(f"in process: {us['on']:.1f} µs per request with tracing on, {us['off']:.1f} µs off "
          f"(+{us['on'] - us['off']:.1f} µs, ratio {us['off'] / us['on']:.2f})")
    ok = (min(ratio, down_ratio) >= TARGET_RATIO and exports[0] > 0
          and traced.errors == receiver_down.errors == untraced.errors == 0)
    print(f"targets: throughput ratios (on, receiver down) >= {TARGET_RATIO}, no errors, spans received -> "
          f"{'MET' if ok else 'MISSED'}")
    return {"ratio": ratio, "down_ratio": down_ratio, "traced": traced, "receiver_down": receiver_down,
            "untraced": untraced, "in_process_us": us, "met": ok}


if __name__ == "__main__":
    run()
