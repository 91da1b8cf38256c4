"""Prometheus metrics: the series we export, the small API that records them, and GET /metrics.

Under gunicorn every worker is its own process, so prometheus-client runs in multiprocess mode: the
gunicorn config points PROMETHEUS_MULTIPROC_DIR at a fresh directory before this module is imported,
each worker writes its samples there, and /metrics (answered by any worker) adds them up. Without that
variable (Flask test client, `flask run`) the same metrics live in this process's default registry.

Series (all names exact):

- ``companion_http_request_duration_seconds{endpoint, status_class}`` histogram: every request, by the
  Flask URL rule (``/v1/trace``; ``unmatched`` for 404/405, so a scan of random paths cannot create
  series) and ``2xx``/``4xx``/``5xx``.
- ``companion_http_requests_in_flight`` gauge: requests being served now, summed over live workers.
- ``companion_crm_lookup_duration_seconds{outcome}`` histogram: one CRM lookup, outcome one of
  ``CRM_OUTCOMES``. Its ``_count`` series counts lookups by outcome.
- ``companion_crm_cache_requests_total{result}`` counter: cache ``hit`` or ``miss``; the hit ratio is
  ``rate(...{result="hit"}) / rate(...)``.
- ``companion_crm_breaker_state`` gauge: 0 closed, 1 half-open, 2 open; the worst state among live workers.
- ``companion_crm_breaker_transitions_total{state}`` counter: how often a worker's breaker entered a state.
- ``companion_span_export_spans_total{result}`` counter: spans the OTLP exporter sent (``exported``) or lost
  (``failed``); only while tracing is on (docs/tracing.md).
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from prometheus_client import REGISTRY
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram
from prometheus_client import values
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from service.auth import key_is_valid
from service.auth import presented_key
from service.errors import ApiError
from service.request_timing import request_started

# Data actions wait at most for the CRM deadline (1.5 s by default, COMPANION_CRM_DEADLINE_MS), and the
# service promises an answer within deadline + 50 ms: fine buckets where healthy answers land (1-25 ms),
# edges at the deadline and at the promise, and a few beyond so a broken promise is visible too.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 1.55, 2.0, 3.0)

CRM_OUTCOMES = ("hit", "miss", "error", "timeout", "breaker_open", "stale")
CACHE_RESULTS = ("hit", "miss")
# Ordered by severity, so the max over workers is the worst breaker.
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}
UNMATCHED_ENDPOINT = "unmatched"

REQUEST_DURATION = Histogram(
    "companion_http_request_duration_seconds",
    "Time to answer an HTTP request, by Flask URL rule and status class.",
    ("endpoint", "status_class"),
    buckets=LATENCY_BUCKETS,
)
# livesum: a worker that died mid-request must not leave its requests counted forever.
IN_FLIGHT = Gauge(
    "companion_http_requests_in_flight",
    "HTTP requests being served now, over all live workers.",
    multiprocess_mode="livesum",
)
CRM_LOOKUP_DURATION = Histogram(
    "companion_crm_lookup_duration_seconds",
    "Time of one CRM lookup, by outcome (hit, miss, error, timeout, breaker_open, stale).",
    ("outcome",),
    buckets=LATENCY_BUCKETS,
)
CACHE_REQUESTS = Counter(
    "companion_crm_cache_requests_total",
    "CRM cache look-ups, by result (hit or miss).",
    ("result",),
)
# Each worker has its own breaker. livemax exports one series, the worst state among live workers, so
# `companion_crm_breaker_state == 2` alerts when any worker has stopped calling the CRM; a per-worker
# view (liveall) would add a pid label that changes with every worker restart. Dead workers drop out.
BREAKER_STATE = Gauge(
    "companion_crm_breaker_state",
    "CRM circuit breaker: 0 closed, 1 half-open, 2 open (worst among live workers).",
    multiprocess_mode="livemax",
)
BREAKER_TRANSITIONS = Counter(
    "companion_crm_breaker_transitions_total",
    "Times a worker's CRM circuit breaker entered a state.",
    ("state",),
)
# A CRM's 429 "too many requests": waited out when its Retry-After fits in the lookup's budget, else given up.
THROTTLE_RESULTS = ("waited", "gave_up")
CRM_THROTTLED = Counter(
    "companion_crm_throttled_total",
    "CRM answers of HTTP 429 with Retry-After, by what the lookup did (waited or gave_up).",
    ("result",),
)
SPAN_EXPORT_RESULTS = ("exported", "failed")
SPAN_EXPORTS = Counter(
    "companion_span_export_spans_total",
    "Spans the OTLP exporter sent (exported) or lost (failed); tracing only.",
    ("result",),
)

# Series that exist from the start at 0, so rate() and ratios work before the first event.
for _result in CACHE_RESULTS:
    CACHE_REQUESTS.labels(_result)
for _state in BREAKER_STATES:
    BREAKER_TRANSITIONS.labels(_state)
for _result in THROTTLE_RESULTS:
    CRM_THROTTLED.labels(_result)

# The breaker state this process last reported, to count transitions rather than repeated reports.
_last_breaker_state = "closed"
_breaker_lock = threading.Lock()


# Each outcome's histogram child (its series exists from the start at 0, like those above), found by one
# dict lookup: labels() costs more than the observation itself.
_crm_observers = {outcome: CRM_LOOKUP_DURATION.labels(outcome).observe for outcome in CRM_OUTCOMES}


def observe_crm(outcome: str, seconds: float) -> None:
    """Record one CRM lookup: its outcome (one of CRM_OUTCOMES) and how long it took."""
    observe = _crm_observers.get(outcome)
    if observe is None:
        raise ValueError(f"unknown CRM outcome {outcome!r}; expected one of {', '.join(CRM_OUTCOMES)}")
    observe(seconds)


def count_cache(result: str) -> None:
    """Record one CRM cache look-up: "hit" or "miss"."""
    if result not in CACHE_RESULTS:
        raise ValueError(f"unknown cache result {result!r}; expected hit or miss")
    CACHE_REQUESTS.labels(result).inc()


def count_throttled(result: str) -> None:
    """Record one 429 with Retry-After: "waited" or "gave_up"."""
    if result not in THROTTLE_RESULTS:
        raise ValueError(f"unknown throttle result {result!r}; expected waited or gave_up")
    CRM_THROTTLED.labels(result).inc()


def set_breaker_state(state: str) -> None:
    """Report this process's breaker state ("closed", "half_open" or "open"); a change counts a transition."""
    global _last_breaker_state
    if state not in BREAKER_STATES:
        raise ValueError(f"unknown breaker state {state!r}; expected one of {', '.join(BREAKER_STATES)}")
    with _breaker_lock:
        BREAKER_STATE.set(BREAKER_STATES[state])
        if state != _last_breaker_state:
            BREAKER_TRANSITIONS.labels(state).inc()
            _last_breaker_state = state


def count_span_export(result: str, spans: int) -> None:
    """Record one OTLP export of `spans` spans: "exported" or "failed"."""
    if result not in SPAN_EXPORT_RESULTS:
        raise ValueError(f"unknown span export result {result!r}; expected exported or failed")
    SPAN_EXPORTS.labels(result).inc(spans)


def start_span_export_series() -> None:
    """Both span export series at 0 once tracing starts, so rate() works before the first failure."""
    for result in SPAN_EXPORT_RESULTS:
        SPAN_EXPORTS.labels(result)


def status_class(status: int) -> str:
    """200 -> "2xx"."""
    return f"{status // 100}xx"


def is_multiprocess() -> bool:
    """True when prometheus-client writes samples to PROMETHEUS_MULTIPROC_DIR (under gunicorn)."""
    return values.ValueClass is not values.MutexValue


def exposition(accept: str = "") -> tuple[bytes, str]:
    """The current metrics in the format the scraper asked for, and its content type."""
    if is_multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


# labels() costs more than the observation itself, and so does building its key: each (rule, status) pair
# gets its histogram child's observe once, found again by one dict lookup on the status code the response has.
_request_observers: dict[tuple[str, int], object] = {}


def _request_observer(rule: str, status: int):
    observe = _request_observers.get((rule, status))
    if observe is None:
        child = REQUEST_DURATION.labels(rule, status_class(status))
        observe = _request_observers.setdefault((rule, status), child.observe)
    return observe


def observe_request(rule: str, status: int, started: float | None) -> None:
    """Record one answered request: its URL rule (UNMATCHED_ENDPOINT for none), its status and when it began
    (None: not stamped by service.request_timing, so not timed)."""
    if started is not None:
        _request_observer(rule, status)(time.perf_counter() - started)


def register_request_metrics(app: Flask) -> None:
    """Time every request, labelled by URL rule and status class, from the start service.request_timing stamps."""

    @app.after_request
    def _observe(response):
        req = request._get_current_object()  # one context lookup instead of one per attribute
        url_rule = req.url_rule
        observe_request(url_rule.rule if url_rule is not None else UNMATCHED_ENDPOINT, response.status_code,
                        request_started(req.environ))
        return response


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    """Prometheus metrics; behind the API keys when COMPANION_METRICS_AUTH is on."""
    settings = current_app.extensions["companion.settings"]
    if settings.metrics_auth and not key_is_valid(presented_key(request.environ), settings.api_keys):
        raise ApiError.unauthorized()
    body, content_type = exposition(request.headers.get("Accept", ""))
    return Response(body, content_type=content_type)
