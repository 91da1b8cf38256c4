"""Span export over OpenTelemetry (OTLP/HTTP): every /v1 request reported in its conversation's trace.

Imported only when an OTLP endpoint is configured (service.app), so with tracing off nothing here is loaded
and requests do no tracing work at all. The ids come from service.tracing: the trace is the one /v1/trace
returns for the conversation, and each request's span is a child of the derived span id, the parent id of
the `traceparent` the flow stores on the call. docs/tracing.md describes the spans and how they line up in
Datadog, Tempo and Jaeger.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time

from cachetools import LRUCache
from flask import Flask
from flask import g
from flask import request
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME
from opentelemetry.semconv.attributes.service_attributes import SERVICE_VERSION
from opentelemetry.trace import NonRecordingSpan
from opentelemetry.trace import SpanContext
from opentelemetry.trace import SpanKind
from opentelemetry.trace import Status
from opentelemetry.trace import StatusCode

from service.config import Settings
from service.config import effective_trace_secret
from service.logs import CORRELATION_ENVIRON_KEY
from service.logs import json_formatter
from service.logs import log_fields
from service.metrics import count_span_export
from service.metrics import start_span_export_series
from service.tracing import derive_trace_context

log = logging.getLogger("companion.spans")

EXTENSION = "companion.spans"
DEFAULT_SERVICE_NAME = "architect-companion"
# Our own attribute names, where OpenTelemetry's semantic conventions have none. The CRM ones are the keys
# of the access log line, so a span and its log line read the same.
CONVERSATION_ID = "genesys.conversation.id"
PARTICIPANT_ID = "genesys.participant.id"
CORRELATION_ID = "genesys.correlation_id"
CRM_OUTCOME = "crm.outcome"
CRM_SOURCE = "crm.source"
CRM_DEGRADED = "crm.degraded"
# "process.pid" is in the semantic conventions' incubating set only; the name is stable in practice.
PROCESS_PID = "process.pid"
CONVERSATION_SPAN = "genesys.conversation"
PARTICIPANT_SPAN = "genesys.participant"
# How long a worker's exit waits for the last spans to reach the receiver (inside gunicorn's graceful_timeout).
SHUTDOWN_TIMEOUT_S = 5.0
# Conversations whose conversation and participant spans this worker already reported (reported once each).
REPORTED_MAX = 16_384
# Once per this many seconds at most, the same export failure is logged again.
FAILURE_LOG_INTERVAL_S = 60.0
# After a failed export, batches are dropped unencoded for this long: a receiver that refuses at once (a 401
# for a wrong API key, a 400) would otherwise cost the full encoding of every batch, to no end.
PAUSE_AFTER_FAILURE_S = 5.0
_MAX_ID_CHARS = 128


class DerivedIds(IdGenerator):
    """The SDK's random ids, except for the spans whose ids the call's derived trace context fixes."""

    def __init__(self):
        self._random = RandomIdGenerator()
        self._fixed = threading.local()

    def fix(self, trace_id: int, span_id: int) -> None:
        """The next span this thread starts gets these ids (a root span: both; a child: the span id)."""
        self._fixed.trace_id = trace_id
        self._fixed.span_id = span_id

    def clear(self) -> None:
        """Back to random ids (also when the SDK started no span and so asked for none)."""
        self._fixed.trace_id = self._fixed.span_id = None

    def generate_trace_id(self) -> int:
        fixed = getattr(self._fixed, "trace_id", None)
        if fixed is None:
            return self._random.generate_trace_id()
        self._fixed.trace_id = None
        return fixed

    def generate_span_id(self) -> int:
        fixed = getattr(self._fixed, "span_id", None)
        if fixed is None:
            return self._random.generate_span_id()
        self._fixed.span_id = None
        self._fixed.trace_id = None
        return fixed


class ExportFailureLog(SpanExporter):
    """The OTLP exporter, plus one JSON log line when export starts failing (then at most once a minute) and
    one when it works again, the companion_span_export_spans_total counter, and a pause after a failure
    (batches dropped unencoded). The SDK's batch thread is the only caller, so no lock is needed."""

    def __init__(self, exporter: SpanExporter, endpoint: str, pause_s: float = PAUSE_AFTER_FAILURE_S,
                 clock=time.monotonic):
        start_span_export_series()
        self._clock = clock
        self._exporter = exporter
        self._endpoint = endpoint
        self._pause_s = pause_s
        self._paused_until = 0.0
        self._failing_since: float | None = None
        self._last_report = 0.0
        self._failed_batches = 0
        self._lost_spans = 0

    def export(self, spans) -> SpanExportResult:
        if self._clock() < self._paused_until:
            self._lost(spans)
            return SpanExportResult.FAILURE
        try:
            result = self._exporter.export(spans)
        except Exception:  # the SDK would log it too; here it also counts as a failed batch
            log.exception("span exporter raised", extra={"otlp.endpoint": self._endpoint})
            result = SpanExportResult.FAILURE
        now = self._clock()
        if result is SpanExportResult.SUCCESS:
            count_span_export("exported", len(spans))
            if self._failing_since is not None:
                log.info("span export works again", extra={
                    "otlp.endpoint": self._endpoint, "otlp.failed_batches": self._failed_batches,
                    "otlp.lost_spans": self._lost_spans, "otlp.failing_s": round(now - self._failing_since, 1)})
                self._failing_since = None
                self._failed_batches = self._lost_spans = 0
            return result
        self._lost(spans)
        self._paused_until = now + self._pause_s
        if self._failing_since is None or now - self._last_report >= FAILURE_LOG_INTERVAL_S:
            self._failing_since = self._failing_since or now
            self._last_report = now
            log.warning("span export is failing; answers are unaffected, these spans are lost", extra={
                "otlp.endpoint": self._endpoint, "otlp.failed_batches": self._failed_batches,
                "otlp.lost_spans": self._lost_spans})
        return result

    def _lost(self, spans) -> None:
        count_span_export("failed", len(spans))
        self._failed_batches += 1
        self._lost_spans += len(spans)

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class _OncePerInterval(logging.Filter):
    """Lets the same message through once per FAILURE_LOG_INTERVAL_S: the SDK logs every failed batch."""

    def __init__(self):
        super().__init__()
        self._last: dict[tuple[str, object], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = time.monotonic()
        if now - self._last.get(key, -FAILURE_LOG_INTERVAL_S) < FAILURE_LOG_INTERVAL_S:
            return False
        self._last[key] = now
        return True


def _route_sdk_logs() -> None:
    """The SDK's own warnings (export errors, a full queue) as JSON lines like ours, each message at most once
    per FAILURE_LOG_INTERVAL_S (a filter on the handler: the SDK logs on child loggers of "opentelemetry")."""
    sdk = logging.getLogger("opentelemetry")
    if getattr(sdk, "_companion_routed", False):
        return
    sdk.propagate = False
    sdk.setLevel(logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    handler.addFilter(_OncePerInterval())
    sdk.addHandler(handler)
    sdk._companion_routed = True


def _resource(version: str) -> Resource:
    # Resource.create() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; our name only when neither set one.
    resource = Resource.create({SERVICE_VERSION: version, PROCESS_PID: os.getpid()})
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


# The request global holding when a /v1 request began, in time.time_ns().
START_ATTRIBUTE = "span_start_ns"


class SpanRecorder:
    """Turns finished /v1 requests into spans and hands them to the SDK's batch processor.

    Nothing starts until start(): under gunicorn that is the post_worker_init hook, in each worker, because
    the batch processor's thread would not survive the fork from the master that built the app.
    """

    # For service.direct_answers, which reaches the recorder through app.extensions without importing this module.
    start_attribute = START_ATTRIBUTE

    def __init__(self, settings: Settings, version: str):
        self._endpoint = settings.otlp_traces_endpoint
        self._batch_size = settings.otlp_batch_size
        self._secret = effective_trace_secret(settings)
        self._version = version
        self._lock = threading.Lock()
        self._provider: TracerProvider | None = None
        self._tracer = None
        self._ids = DerivedIds()
        # (conversationId, participantId) -> the SpanContext of its derived span, once reported by this worker.
        self._reported: LRUCache = LRUCache(REPORTED_MAX)
        self._reported_lock = threading.Lock()
        self._pid = 0
        self._closed = False

    def start(self) -> None:
        """Build the tracer provider, the batch processor and the OTLP exporter (idempotent, per process)."""
        with self._lock:
            if self._closed or (self._provider is not None and self._pid == os.getpid()):
                return
            _route_sdk_logs()
            # The exporter, the sampler and the batch processor read their OTEL_* variables themselves
            # (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
            exporter = ExportFailureLog(OTLPSpanExporter(endpoint=self._endpoint), self._endpoint)
            provider = TracerProvider(resource=_resource(self._version), id_generator=self._ids,
                                      shutdown_on_exit=False)
            provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=self._batch_size))
            self._provider = provider
            self._tracer = provider.get_tracer("architect-companion", self._version)
            self._reported.clear()
            self._pid = os.getpid()
        atexit.register(self.shutdown)

    def shutdown(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> bool:
        """Send what is queued and stop; waits at most timeout_s (an exporter that hangs must not hold the exit).

        :return: True when everything queued was handed to the exporter in time.
        """
        with self._lock:
            provider, self._provider, self._tracer = self._provider, None, None
            self._closed = True
        if provider is None:
            return True
        # The SDK's own shutdown waits up to 30 s for its thread; ours is bounded by running it aside.
        worker = threading.Thread(target=provider.shutdown, name="companion-span-shutdown", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if worker.is_alive():
            log.warning("spans still queued at exit were not sent in time", extra={"otlp.endpoint": self._endpoint})
            return False
        return True

    def _derived_parent(self, tracer, conversation_id: str, participant_id: str, start_ns: int, end_ns: int):
        """The SpanContext of the call's derived span, reporting it (and the conversation's root) on first use."""
        key = (conversation_id, participant_id)
        root_key = (conversation_id, "")
        with self._reported_lock:
            known = self._reported.get(key)
            root = self._reported.get(root_key)
        if known is not None:
            return known
        ids = derive_trace_context(self._secret, conversation_id)
        trace_id = int(ids.traceId, 16)
        if root is None:
            # The conversation's own span: no parent, the span id derived with an empty participant id.
            root = self._report_fixed(tracer, CONVERSATION_SPAN, Context(), trace_id, int(ids.spanId, 16),
                                      {CONVERSATION_ID: conversation_id}, start_ns, end_ns)
            with self._reported_lock:
                self._reported[root_key] = root
        if not participant_id:
            return root
        participant = derive_trace_context(self._secret, conversation_id, participant_id)
        context = self._report_fixed(tracer, PARTICIPANT_SPAN, trace.set_span_in_context(NonRecordingSpan(root)),
                                     trace_id, int(participant.spanId, 16),
                                     {CONVERSATION_ID: conversation_id, PARTICIPANT_ID: participant_id},
                                     start_ns, end_ns)
        with self._reported_lock:
            self._reported[key] = context
        return context

    def _report_fixed(self, tracer, name: str, parent: Context, trace_id: int, span_id: int, attributes: dict,
                      start_ns: int, end_ns: int) -> SpanContext:
        """Start and end a span whose ids are the derived ones (the sampler still decides whether it is kept)."""
        self._ids.fix(trace_id, span_id)
        try:
            span = tracer.start_span(name, context=parent, kind=SpanKind.INTERNAL, attributes=attributes,
                                     start_time=start_ns)
        finally:
            self._ids.clear()
        span.end(end_ns)
        return span.get_span_context()

    def record_request(self, start_ns: int, end_ns: int, method: str, route: str, status: int,
                       correlation_id: str, fields: dict) -> None:
        """record(), for a request that is being answered: a failure is logged, never raised, since tracing
        never changes an answer. Flask's hook and service.direct_answers both record through it."""
        try:
            self.record(start_ns, end_ns, method, route, status, correlation_id, fields)
        except Exception:
            log.exception("could not record the request's span")

    def record(self, start_ns: int, end_ns: int, method: str, route: str, status: int, correlation_id: str,
               fields: dict) -> None:
        """One SERVER span for a finished request; fields are the request's access-log fields."""
        tracer = self._tracer
        if tracer is None:
            # Outside gunicorn (a test client, another WSGI server) nothing called start(); after shutdown()
            # at exit, no more spans.
            self.start()
            tracer = self._tracer
            if tracer is None:
                return
        attributes = {HTTP_REQUEST_METHOD: method, HTTP_ROUTE: route, HTTP_RESPONSE_STATUS_CODE: status}
        if correlation_id:
            attributes[CORRELATION_ID] = correlation_id[:_MAX_ID_CHARS]
        conversation_id = fields.get("conversationId")
        parent = Context()  # no conversation named (a 401, an invalid body, /v1/customer): a trace of its own
        if conversation_id:
            participant_id = fields.get("participantId", "")
            attributes[CONVERSATION_ID] = conversation_id
            if participant_id:
                attributes[PARTICIPANT_ID] = participant_id
            derived = self._derived_parent(tracer, conversation_id, participant_id, start_ns, end_ns)
            parent = trace.set_span_in_context(NonRecordingSpan(derived))
        if CRM_OUTCOME in fields:
            attributes[CRM_OUTCOME] = fields[CRM_OUTCOME]
            attributes[CRM_SOURCE] = fields.get(CRM_SOURCE, "")
            attributes[CRM_DEGRADED] = bool(fields.get(CRM_DEGRADED, False))
        span = tracer.start_span(f"{method} {route}", context=parent, kind=SpanKind.SERVER, attributes=attributes,
                                 start_time=start_ns)
        if status >= 500:
            # Semantic conventions: a server span is an error for 5xx only; error.type is then the status code.
            span.set_attribute(ERROR_TYPE, str(status))
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_ns)


def init_app(app: Flask, settings: Settings, version: str) -> SpanRecorder:
    """Record a span for every request routed to the /v1 blueprint (call after registering it)."""
    recorder = SpanRecorder(settings, version)
    app.extensions[EXTENSION] = recorder

    def _span_start():
        setattr(g, START_ATTRIBUTE, time.time_ns())

    def _span_end(response):
        end_ns = time.time_ns()
        req = request._get_current_object()
        # The route, never the path: a path may carry what a caller typed (a phone number in a 404).
        route = req.url_rule.rule if req.url_rule is not None else ""
        recorder.record_request(g.get(START_ATTRIBUTE, end_ns), end_ns, req.method, route, response.status_code,
                                req.environ.get(CORRELATION_ENVIRON_KEY, ""), log_fields())
        return response

    # First before the blueprint's own hooks (the API-key check raises for a 401, which still gets a span).
    app.before_request_funcs.setdefault("v1", []).insert(0, _span_start)
    app.after_request_funcs.setdefault("v1", []).append(_span_end)
    log.info("tracing on: spans go to the OTLP/HTTP endpoint", extra={"otlp.endpoint": settings.otlp_traces_endpoint})
    return recorder
