"""Spans recorded in process and decoded by a real OTLP/HTTP receiver: ids, parents, attributes, no PII."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app

from service import create_app
from service.config import effective_trace_secret
from service.config import load_settings
from service.crm.base import Lookup
from service.direct_answers import DirectAnswers
from service.spans import ExportFailureLog
from service.tracing import derive_trace_context
from tests.conftest import API_KEY
from tests.otlp_receiver import closed_port_url
from tests.spans.conftest import exported

AUTH = {"Authorization": f"Bearer {API_KEY}"}
SERVER = 2  # OTLP Span.SpanKind: SPAN_KIND_SERVER
INTERNAL = 1
STATUS_ERROR = 2


def by_name(spans, name):
    return [span for span in spans if span.name == name]


def test_request_span_is_in_the_trace_v1_trace_returns_and_child_of_the_derived_span(traced_app, receiver):
    client = traced_app.test_client()
    ids = client.post("/v1/trace", json={"conversationId": "conv-a", "participantId": "agent-1"}, headers=AUTH).json
    spans = exported(traced_app, receiver)
    (request_span,) = by_name(spans, "POST /v1/trace")
    assert request_span.trace_id == ids["traceId"]
    assert request_span.parent_span_id == ids["spanId"]
    assert request_span.kind == SERVER


def test_derived_span_and_conversation_root_are_reported_so_the_trace_has_its_root(traced_app, receiver):
    client = traced_app.test_client()
    ids = client.post("/v1/trace", json={"conversationId": "conv-b", "participantId": "agent-1"}, headers=AUTH).json
    root_ids = client.post("/v1/trace", json={"conversationId": "conv-b"}, headers=AUTH).json
    spans = exported(traced_app, receiver)
    (participant,) = by_name(spans, "genesys.participant")
    (root,) = by_name(spans, "genesys.conversation")
    # traceparent 00-<traceId>-<spanId>-01 names a span that exists, under the conversation's root.
    assert (participant.trace_id, participant.span_id) == (ids["traceId"], ids["spanId"])
    assert participant.parent_span_id == root.span_id == root_ids["spanId"]
    assert root.parent_span_id == "" and root.trace_id == ids["traceId"]
    assert participant.attributes == {"genesys.conversation.id": "conv-b", "genesys.participant.id": "agent-1"}
    assert {span.trace_id for span in spans} == {ids["traceId"]}


def test_derived_spans_are_reported_once_per_conversation_not_per_request(traced_app, receiver):
    client = traced_app.test_client()
    for _ in range(3):
        client.post("/v1/context", json={"conversationId": "conv-c", "participantId": "p"}, headers=AUTH)
    spans = exported(traced_app, receiver)
    assert [len(by_name(spans, name)) for name in ("genesys.conversation", "genesys.participant", "POST /v1/context")] \
        == [1, 1, 3]


def test_context_span_carries_ids_correlation_endpoint_and_crm_outcome(traced_app, receiver):
    answer = traced_app.test_client().post(
        "/v1/context", json={"conversationId": "conv-d", "participantId": "cust-7", "phone": "tel:+13175550116"},
        headers={**AUTH, "ININ-Correlation-Id": "5f8a3c1e-0000-4000-8000-000000000001"},
    ).json
    (span,) = by_name(exported(traced_app, receiver), "POST /v1/context")
    assert answer["found"] is True
    assert span.attributes == {
        "http.request.method": "POST",
        "http.route": "/v1/context",
        "http.response.status_code": 200,
        "genesys.correlation_id": "5f8a3c1e-0000-4000-8000-000000000001",
        "genesys.conversation.id": "conv-d",
        "genesys.participant.id": "cust-7",
        "crm.outcome": "hit",
        "crm.source": "sqlite",
        "crm.degraded": False,
    }
    assert span.resource["service.name"] == "architect-companion"


def test_no_phone_email_or_crm_value_reaches_the_receiver(traced_app, receiver):
    client = traced_app.test_client()
    answer = client.post("/v1/context", json={"conversationId": "conv-pii", "phone": "tel:+13175550116"},
                         headers=AUTH).json
    by_email = client.post("/v1/customer", json={"email": answer["email"]}, headers=AUTH).json
    client.post("/v1/context", json={"conversationId": "conv-pii", "phone": "not a phone 317-555-0199"}, headers=AUTH)
    # A 404 under /v1 whose path carries a number: the span has the route, never the path.
    client.post("/v1/customer/+13175550116", json={}, headers=AUTH)
    exported(traced_app, receiver)
    wire = b"".join(receiver.bodies)
    secrets = {"13175550116", "3175550116", "317-555-0199", answer["email"], answer["firstName"], answer["lastName"],
               answer["accountNumber"], answer["customerId"], by_email["displayName"]}
    assert all(value for value in secrets)
    leaked = [value for value in secrets if value.encode() in wire]
    assert leaked == []
    assert by_name(receiver.spans, "POST /v1/customer")  # the lookups were exported, just without the values


def test_degraded_lookup_is_marked_on_the_span(settings_env, receiver):
    env = {**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "COMPANION_CRM_BACKEND": "http",
           "COMPANION_CRM_URL_TEMPLATE": closed_port_url() + "/contacts?phone={phone}",
           "COMPANION_CRM_DEADLINE_MS": "300", "COMPANION_CRM_CONNECT_TIMEOUT_MS": "100"}
    app = create_app(load_settings(env))
    answer = app.test_client().post("/v1/context", json={"conversationId": "conv-e", "phone": "+13175550116"},
                                    headers=AUTH).json
    (span,) = by_name(exported(app, receiver), "POST /v1/context")
    assert answer["degraded"] is True
    assert (span.attributes["crm.degraded"], span.attributes["crm.source"]) == (True, answer["source"])
    assert span.attributes["crm.outcome"] == "error"


def test_request_naming_no_conversation_gets_a_trace_of_its_own(traced_app, receiver):
    client = traced_app.test_client()
    client.post("/v1/trace", json={"conversationId": "conv-f"}, headers={"Authorization": "Bearer wrong-key-000000000"})
    client.post("/v1/customer", json={"phone": "tel:+13175550116"}, headers=AUTH)
    spans = exported(traced_app, receiver)
    unauthorized, customer = by_name(spans, "POST /v1/trace")[0], by_name(spans, "POST /v1/customer")[0]
    assert unauthorized.attributes["http.response.status_code"] == 401
    assert "genesys.conversation.id" not in unauthorized.attributes
    assert unauthorized.parent_span_id == customer.parent_span_id == ""
    assert unauthorized.trace_id != customer.trace_id
    assert not by_name(spans, "genesys.conversation")


def test_server_error_span_has_error_status_and_type(settings_env, receiver):
    # COMPANION_DEGRADED_AS_503: a CRM that cannot answer is a 503, a server error by the semantic conventions.
    env = {**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "COMPANION_CRM_BACKEND": "http",
           "COMPANION_CRM_URL_TEMPLATE": closed_port_url() + "/contacts?phone={phone}",
           "COMPANION_CRM_DEADLINE_MS": "300", "COMPANION_CRM_CONNECT_TIMEOUT_MS": "100",
           "COMPANION_DEGRADED_AS_503": "1"}
    app = create_app(load_settings(env))
    status = app.test_client().post("/v1/customer", json={"phone": "+13175550116"}, headers=AUTH).status_code
    (span,) = by_name(exported(app, receiver), "POST /v1/customer")
    assert status == span.attributes["http.response.status_code"] == 503
    assert span.attributes["error.type"] == "503" and span.status_code == STATUS_ERROR


def test_otel_service_name_and_resource_attributes_are_honoured(settings_env, receiver, monkeypatch):
    monkeypatch.setenv("OTEL_SERVICE_NAME", "ivr-companion")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,team=contact-centre")
    app = create_app(load_settings({**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}))
    app.test_client().post("/v1/trace", json={"conversationId": "conv-g"}, headers=AUTH)
    resource = exported(app, receiver)[0].resource
    assert resource["service.name"] == "ivr-companion"
    assert (resource["deployment.environment.name"], resource["team"]) == ("staging", "contact-centre")


def test_traceidratio_sampler_keeps_or_drops_whole_conversations(settings_env, receiver, monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.5")
    app = create_app(load_settings({**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}))
    client = app.test_client()
    conversations = [f"conv-s-{n}" for n in range(40)]
    for conversation in conversations:
        client.post("/v1/trace", json={"conversationId": conversation, "participantId": "p"}, headers=AUTH)
        client.post("/v1/context", json={"conversationId": conversation}, headers=AUTH)
    spans = exported(app, receiver)
    counts = {c: sum(s.attributes.get("genesys.conversation.id") == c for s in spans) for c in conversations}
    assert set(counts.values()) == {0, 4}  # kept: root, participant and both requests; dropped: none of them
    assert 5 < sum(1 for n in counts.values() if n) < 35


def test_always_off_sampler_exports_nothing(settings_env, receiver, monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    app = create_app(load_settings({**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}))
    assert app.test_client().post("/v1/trace", json={"conversationId": "conv-h"}, headers=AUTH).status_code == 200
    assert exported(app, receiver) == [] and receiver.requests == 0


def test_trace_ids_on_the_wire_are_the_derived_ones(traced_app, receiver, settings_env):
    traced_app.test_client().post("/v1/trace", json={"conversationId": "conv-i", "participantId": "p-2"},
                                  headers=AUTH)
    expected = derive_trace_context(effective_trace_secret(load_settings(settings_env)), "conv-i", "p-2")
    (span,) = by_name(exported(traced_app, receiver), "POST /v1/trace")
    assert (span.trace_id, span.parent_span_id) == (expected.traceId, expected.spanId)
    # Datadog's view of the same ids: low 64 bits in decimal, high 64 bits as _dd.p.tid.
    assert int(span.trace_id[16:], 16) == int(expected.ddTraceId)
    assert span.trace_id[:16] == expected.ddTraceIdHigh


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_routes_outside_v1_record_no_span(traced_app, receiver, path):
    traced_app.test_client().get(path)
    assert exported(traced_app, receiver) == []


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_export_failure_is_logged_once_and_recovery_too(receiver):
    lines = _Lines()
    logging.getLogger("companion.spans").addHandler(lines)
    try:
        exporter = ExportFailureLog(OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces", timeout=1),
                                    "the-endpoint", pause_s=0)
        span = TracerProvider().get_tracer("test").start_span("one")
        span.end()
        receiver.refuse_with = 400  # not retried by the exporter: each export fails at once
        results = [exporter.export([span]) for _ in range(3)]
        receiver.refuse_with = 0
        results.append(exporter.export([span]))
    finally:
        logging.getLogger("companion.spans").removeHandler(lines)
    assert results == [SpanExportResult.FAILURE] * 3 + [SpanExportResult.SUCCESS]
    messages = [(r.levelname, r.getMessage(), getattr(r, "otlp.lost_spans", None)) for r in lines.records]
    assert messages == [
        ("WARNING", "span export is failing; answers are unaffected, these spans are lost", 1),
        ("INFO", "span export works again", 3),
    ]
    assert len(receiver.spans) == 1


def test_otlp_compression_and_headers_variables_are_honoured(settings_env, receiver, monkeypatch):
    # Read by the SDK's exporter itself: e.g. a vendor's API key header and gzip bodies.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-team=test-team-key")
    app = create_app(load_settings({**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}))
    app.test_client().post("/v1/trace", json={"conversationId": "conv-z"}, headers=AUTH)
    assert by_name(exported(app, receiver), "POST /v1/trace")
    assert receiver.headers[-1]["Content-Encoding"] == "gzip"
    assert receiver.headers[-1]["x-honeycomb-team"] == "test-team-key"


def test_a_system_continuing_the_traceparent_lands_in_the_same_trace(traced_app, receiver):
    # What docs/tracing.md shows an order service doing with the participant attribute `traceparent`.
    from opentelemetry.propagate import extract
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    answer = traced_app.test_client().post(
        "/v1/context", json={"conversationId": "conv-desk", "participantId": "cust-1"}, headers=AUTH).json
    desktop = TracerProvider()
    desktop.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces")))
    with desktop.get_tracer("order-service").start_as_current_span(
            "create-order", context=extract({"traceparent": answer["traceparent"]})):
        pass
    desktop.shutdown()
    spans = exported(traced_app, receiver)
    (order,) = by_name(spans, "create-order")
    (participant,) = by_name(spans, "genesys.participant")
    assert order.trace_id == participant.trace_id == answer["traceId"]
    assert order.parent_span_id == participant.span_id == answer["spanId"]


def test_spans_go_out_in_batches_of_the_configured_size(settings_env, receiver, monkeypatch):
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")  # only a full batch (or the shutdown) sends
    app = create_app(load_settings({**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                                    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "4"}))
    client = app.test_client()
    for n in range(4):
        client.post("/v1/customer", json={"customerId": f"C-{n}"}, headers=AUTH)
    receiver.wait_for(lambda spans: len(spans) == 4)
    assert receiver.requests == 1
    exported(app, receiver)


def test_after_a_refused_export_batches_are_dropped_unencoded_for_a_while(receiver):
    # A receiver that refuses at once (400, or 401 for a wrong API key) must not cost every batch its encoding.
    now = [1000.0]
    exporter = ExportFailureLog(OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces", timeout=1),
                                "the-endpoint", pause_s=5.0, clock=lambda: now[0])
    span = TracerProvider().get_tracer("test").start_span("one")
    span.end()
    receiver.refuse_with = 400
    results = [exporter.export([span]) for _ in range(5)]
    assert results == [SpanExportResult.FAILURE] * 5
    assert receiver.requests == 1
    receiver.refuse_with = 0
    now[0] += 4.9
    assert exporter.export([span]) is SpanExportResult.FAILURE and receiver.requests == 1
    now[0] += 0.2
    assert exporter.export([span]) is SpanExportResult.SUCCESS and receiver.requests == 2


class _DegradedCRM:
    name = "stub"

    def lookup(self, keys):
        return Lookup(None, "stub", degraded=True, outcome="timeout", reason="CRM timed out after 1500 ms")


@pytest.mark.parametrize("degraded_as_503", [False, True])
def test_a_direct_answer_records_the_span_flask_alone_records(traced_app, receiver, degraded_as_503):
    # service.direct_answers answers these requests itself; Flask alone (its own WSGI callable) is what it
    # stands in front of. Both must record the same span, with a real duration (the 503 is Flask's error path).
    if degraded_as_503:
        traced_app.extensions["companion.crm"] = _DegradedCRM()
        traced_app.extensions["companion.settings"] = dataclasses.replace(
            traced_app.extensions["companion.settings"], degraded_as_503=True)
    direct = traced_app.wsgi_app.wsgi_app
    assert isinstance(direct, DirectAnswers) and direct.spans is traced_app.extensions["companion.spans"]
    body = b'{"conversationId": "conv-same", "participantId": "p-1", "phone": "tel:+13175550116"}'
    for name, wsgi in (("direct", traced_app.wsgi_app), ("flask", direct.flask)):
        environ = EnvironBuilder("/v1/context", method="POST", data=body, content_type="application/json",
                                 headers={**AUTH, "ININ-Correlation-Id": name}).get_environ()
        run_wsgi_app(wsgi, environ, buffered=True)
    spans = {span.attributes["genesys.correlation_id"]: span
             for span in by_name(exported(traced_app, receiver), "POST /v1/context")}

    def same(span):
        attributes = {k: v for k, v in span.attributes.items() if k != "genesys.correlation_id"}
        return span.kind, span.trace_id, span.parent_span_id, span.status_code, attributes

    assert same(spans["direct"]) == same(spans["flask"])
    assert spans["direct"].attributes["http.response.status_code"] == (503 if degraded_as_503 else 200)
    assert all(span.end_ns > span.start_ns for span in spans.values())
