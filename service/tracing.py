"""Trace ids derived from the conversation id: same conversation, same trace, on any instance."""

from __future__ import annotations

import hmac
from typing import NamedTuple

_LOW64 = (1 << 64) - 1


class TraceContext(NamedTuple):
    """One call's trace ids in W3C and Datadog forms (field names match schemas.TraceResponse).

    A NamedTuple rather than a frozen dataclass: as immutable, and built in a fifth of the time.
    """

    traceId: str
    spanId: str
    traceparent: str
    ddTraceId: str
    ddTraceIdHigh: str
    ddSpanId: str


def _derive(secret: bytes, label: bytes, *parts: str, size: int, valid) -> bytes:
    # Parts are joined with a unit separator so ("ab", "c") and ("a", "bc") never collide.
    message = label + b"\x00" + "\x1f".join(parts).encode("utf-8")
    counter = 0
    while True:
        # hmac.digest: OpenSSL's one-shot HMAC, without building an HMAC object (a third of a derivation's cost).
        digest = hmac.digest(secret, message + counter.to_bytes(4, "big"), "sha256")[:size]
        if valid(digest):
            return digest
        counter += 1  # An all-zero id is invalid in W3C and Datadog; astronomically rare, still handled.


def _trace_id_valid(raw: bytes) -> bool:
    # W3C rejects an all-zero trace id; Datadog's x-datadog-trace-id is the low 64 bits and 0 means "none".
    return int.from_bytes(raw[8:], "big") != 0


def _span_id_valid(raw: bytes) -> bool:
    return int.from_bytes(raw, "big") != 0


def derive_trace_context(secret: bytes, conversation_id: str, participant_id: str = "") -> TraceContext:
    """Derive the trace context of a conversation with HMAC-SHA256.

    traceId is the first 16 bytes of HMAC(secret, conversationId); spanId the first 8 bytes of
    HMAC(secret, conversationId + participantId). Formats: W3C Trace Context (trace-id 32 hex,
    parent-id 16 hex, flags 01 = sampled) and Datadog (decimal low 64 bits, _dd.p.tid = high 64 bits
    as 16 hex), as in docs/reference/trace-ids.md.
    """
    trace = _derive(secret, b"trace", conversation_id, size=16, valid=_trace_id_valid)
    span = _derive(secret, b"span", conversation_id, participant_id, size=8, valid=_span_id_valid)
    trace_hex = trace.hex()
    span_hex = span.hex()
    return TraceContext(
        traceId=trace_hex,
        spanId=span_hex,
        traceparent=f"00-{trace_hex}-{span_hex}-01",
        ddTraceId=str(int.from_bytes(trace, "big") & _LOW64),
        ddTraceIdHigh=trace_hex[:16],
        ddSpanId=str(int.from_bytes(span, "big")),
    )
