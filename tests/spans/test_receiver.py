"""The test OTLP/HTTP receiver decodes the OpenTelemetry protocol's own example request as the protocol means it."""

from __future__ import annotations

import gzip
from pathlib import Path

import requests
from google.protobuf import text_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

EXAMPLE = Path(__file__).with_name("data") / "trace.protobuf-text"


def example_body() -> bytes:
    return text_format.Parse(EXAMPLE.read_text(encoding="utf-8"), ExportTraceServiceRequest()).SerializeToString()


def test_upstream_example_request_is_decoded_with_ids_in_hex(receiver):
    response = requests.post(f"{receiver.endpoint}/v1/traces", data=example_body(),
                             headers={"Content-Type": "application/x-protobuf"}, timeout=5)
    assert response.status_code == 200
    ExportTraceServiceResponse().ParseFromString(response.content)
    (span,) = receiver.spans
    assert (span.trace_id, span.span_id, span.parent_span_id) == (
        "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "eee19b7ec3c1b173")
    assert (span.name, span.kind, span.attributes) == ("I'm a server span", 2, {"my.span.attr": "some value"})
    assert span.resource == {"service.name": "my.service"}
    assert span.end_ns - span.start_ns == 1_000_000_000


def test_gzip_bodies_are_decoded_too(receiver):
    # OTEL_EXPORTER_OTLP_COMPRESSION=gzip makes the exporter send Content-Encoding: gzip.
    requests.post(f"{receiver.endpoint}/v1/traces", data=gzip.compress(example_body()),
                  headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, timeout=5)
    assert [span.name for span in receiver.spans] == ["I'm a server span"]
