"""A real OTLP/HTTP receiver on 127.0.0.1: POST /v1/traces with protobuf bodies, decoded with opentelemetry-proto.

It answers the way the OTLP specification says a collector does
(https://opentelemetry.io/docs/specs/otlp/#otlphttp): 200 with an ExportTraceServiceResponse in protobuf,
and can be told to be slow or to refuse (503, which exporters retry, or 400, which they do not).
"""

from __future__ import annotations

import dataclasses
import gzip
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

PROTOBUF = "application/x-protobuf"


def any_value(value: AnyValue):
    """An OTLP AnyValue as the Python value it carries."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


@dataclasses.dataclass(frozen=True)
class ReceivedSpan:
    """One span as it arrived, ids in lowercase hex like W3C traceparent writes them."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    attributes: dict
    resource: dict
    status_code: int
    start_ns: int
    end_ns: int


def decode_spans(body: bytes) -> list[ReceivedSpan]:
    """Every span in an ExportTraceServiceRequest (protobuf bytes)."""
    message = ExportTraceServiceRequest()
    message.ParseFromString(body)
    spans = []
    for resource_spans in message.resource_spans:
        resource = {kv.key: any_value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(ReceivedSpan(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    name=span.name,
                    kind=span.kind,
                    attributes={kv.key: any_value(kv.value) for kv in span.attributes},
                    resource=resource,
                    status_code=span.status.code,
                    start_ns=span.start_time_unix_nano,
                    end_ns=span.end_time_unix_nano,
                ))
    return spans


def closed_port_url() -> str:
    """http://127.0.0.1:PORT on a port nothing listens on (bound, then released): a receiver that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class OtlpReceiver:
    """ThreadingHTTPServer on a free port; a context manager. `endpoint` is its base URL (for OTEL_EXPORTER_OTLP_ENDPOINT).

    refuse_with: answer every export with this status instead of 200. delay_s: wait this long before answering.
    decode: False only counts requests (bench/: a collector runs elsewhere, its CPU is not the service's).
    """

    def __init__(self, *, refuse_with: int = 0, delay_s: float = 0.0, decode: bool = True):
        self.refuse_with = refuse_with
        self.delay_s = delay_s
        self.decode = decode
        self.spans: list[ReceivedSpan] = []
        self.bodies: list[bytes] = []
        self.requests = 0
        self.headers: list[dict[str, str]] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                with receiver._changed:
                    receiver.requests += 1
                    receiver.headers.append(dict(self.headers.items()))
                    receiver._changed.notify_all()
                if receiver.delay_s:
                    receiver._stopping.wait(receiver.delay_s)
                if self.path != "/v1/traces":
                    return self._answer(404, b"", "text/plain")
                if receiver.refuse_with:
                    return self._answer(receiver.refuse_with, b"", PROTOBUF)
                spans = decode_spans(body) if receiver.decode else []
                with receiver._changed:
                    receiver.bodies.append(body)
                    receiver.spans.extend(spans)
                    receiver._changed.notify_all()
                self._answer(200, ExportTraceServiceResponse().SerializeToString(), PROTOBUF)

            def _answer(self, status: int, body: bytes, content_type: str):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def wait_for(self, predicate, timeout: float = 15.0) -> list[ReceivedSpan]:
        """The spans received so far once predicate(spans) is true; AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.spans):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching spans within {timeout}s; received {self.spans!r}")
                self._changed.wait(remaining)
            return list(self.spans)

    def wait_for_requests(self, count: int, timeout: float = 15.0) -> None:
        """Until `count` export requests arrived (whatever was answered)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.requests < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.requests} export requests within {timeout}s, expected {count}")
                self._changed.wait(remaining)

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    """`python -m tests.otlp_receiver [--no-decode]`: print the endpoint, serve until stdin closes, then print the
    number of export requests (bench/tracing.py runs it in a process of its own, as a collector would be)."""
    import sys

    with OtlpReceiver(decode="--no-decode" not in sys.argv[1:]) as receiver:
        print(receiver.endpoint, flush=True)
        sys.stdin.read()
        print(receiver.requests, flush=True)


if __name__ == "__main__":
    main()
