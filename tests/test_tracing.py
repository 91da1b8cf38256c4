"""Trace-id derivation: determinism, exact formats, and the W3C/Datadog relation."""

import hashlib
import hmac
import re

import pytest

from service.tracing import _derive
from service.tracing import derive_trace_context

SECRET = b"test-trace-secret-0123456789"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def test_known_answer_matches_hmac_sha256_computed_by_openssl():
    # Expected values from: printf 'trace\0conv-123\0\0\0\0' | openssl dgst -sha256 -hmac <secret>
    # and printf 'span\0conv-123\x1fpart-9\0\0\0\0' | openssl dgst -sha256 -hmac <secret>.
    context = derive_trace_context(SECRET, "conv-123", "part-9")
    assert context.traceId == "dce33e2c8d9251a722bd13c97305adc9"
    assert context.spanId == "0f547819506e04a2"
    assert context.traceparent == "00-dce33e2c8d9251a722bd13c97305adc9-0f547819506e04a2-01"
    assert context.ddTraceId == "2503178723826970057"
    assert context.ddTraceIdHigh == "dce33e2c8d9251a7"
    assert context.ddSpanId == "1104639858731517090"


def test_same_conversation_gets_same_ids_every_time():
    assert derive_trace_context(SECRET, "c-1", "p") == derive_trace_context(SECRET, "c-1", "p")


def test_participant_changes_span_but_not_trace():
    first = derive_trace_context(SECRET, "c-1", "agent")
    second = derive_trace_context(SECRET, "c-1", "customer")
    assert first.traceId == second.traceId
    assert first.spanId != second.spanId


@pytest.mark.parametrize("other", ["c-2", "C-1", "c-1 ", ""])
def test_different_conversations_get_different_traces(other):
    assert derive_trace_context(SECRET, "c-1").traceId != derive_trace_context(SECRET, other).traceId


def test_secret_changes_every_id():
    a = derive_trace_context(SECRET, "c-1")
    b = derive_trace_context(b"another-secret-0123456789", "c-1")
    assert a.traceId != b.traceId and a.spanId != b.spanId


def test_separator_prevents_ambiguous_concatenation():
    assert derive_trace_context(SECRET, "ab", "c").spanId != derive_trace_context(SECRET, "a", "bc").spanId


@pytest.mark.parametrize("conversation", ["c-1", "0a0a0a0a-1111-2222-3333-444455556666", "ünïcødé ☎", "x" * 256])
def test_formats_follow_w3c_and_datadog(conversation):
    context = derive_trace_context(SECRET, conversation, "p-1")
    assert HEX32.match(context.traceId) and context.traceId != "0" * 32
    assert HEX16.match(context.spanId) and context.spanId != "0" * 16
    assert context.traceparent == f"00-{context.traceId}-{context.spanId}-01"
    assert len(context.traceparent) == 55
    # Datadog: decimal low 64 bits (x-datadog-trace-id) and 16-hex high bits (_dd.p.tid).
    assert context.ddTraceId == str(int(context.traceId[16:], 16))
    assert context.ddTraceIdHigh == context.traceId[:16]
    assert context.ddSpanId == str(int(context.spanId, 16))
    assert 0 < int(context.ddTraceId) < 2**64
    assert 0 < int(context.ddSpanId) < 2**64


def test_an_invalid_candidate_is_replaced_by_the_next_counter_value():
    # An all-zero id cannot be produced on demand, so reject the first candidate and check the retry rule.
    rejected = []

    def valid(candidate):
        if not rejected:
            rejected.append(candidate)
            return False
        return True

    retried = _derive(SECRET, b"trace", "c-1", size=16, valid=valid)
    expected = hmac.new(SECRET, b"trace\x00c-1" + (1).to_bytes(4, "big"), hashlib.sha256).digest()[:16]
    assert retried == expected != rejected[0]


def test_ids_are_never_zero_across_many_conversations():
    for n in range(2000):
        context = derive_trace_context(SECRET, f"conv-{n}")
        assert int(context.ddTraceId) != 0 and int(context.ddSpanId) != 0
