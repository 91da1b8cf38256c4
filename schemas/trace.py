"""Trace context for a call: request and response."""

import marshmallow as ma

from schemas.base import RequestSchema
from schemas.base import ResponseSchema

# Genesys ids are UUIDs (36 chars); the bound only keeps hostile input out of the HMAC and the logs.
ID_MAX_LENGTH = 256


class TraceRequest(RequestSchema):
    """Input of POST /v1/trace."""

    class Meta(RequestSchema.Meta):
        title = "Trace context request"
        description = "Identifies the call whose trace context is wanted."

    conversationId = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=ID_MAX_LENGTH),
        metadata={
            "title": "Conversation id",
            "description": "Genesys conversation id (Call.ConversationId); the trace id is derived from it.",
        },
    )
    participantId = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=ID_MAX_LENGTH),
        metadata={
            "title": "Participant id",
            "description": "Optional participant id; the span id is derived from it and the conversation id.",
        },
    )


class TraceResponse(ResponseSchema):
    """Output of POST /v1/trace: the same ids in W3C and Datadog forms."""

    class Meta(ResponseSchema.Meta):
        title = "Trace context"
        description = "Trace ids derived from the conversation id, in W3C and Datadog forms."

    traceId = ma.fields.String(
        dump_default="",
        metadata={"title": "Trace id", "description": "W3C trace id: 32 lowercase hex digits (128 bits)."},
    )
    spanId = ma.fields.String(
        dump_default="",
        metadata={"title": "Span id", "description": "W3C parent id: 16 lowercase hex digits (64 bits)."},
    )
    traceparent = ma.fields.String(
        dump_default="",
        metadata={
            "title": "traceparent",
            "description": "W3C traceparent header value: 00-<traceId>-<spanId>-01.",
        },
    )
    ddTraceId = ma.fields.String(
        dump_default="",
        metadata={
            "title": "Datadog trace id",
            "description": "Low 64 bits of the trace id as a decimal string (x-datadog-trace-id, dd.trace_id).",
        },
    )
    ddTraceIdHigh = ma.fields.String(
        dump_default="",
        metadata={
            "title": "Datadog trace id high bits",
            "description": "High 64 bits of the trace id as 16 lowercase hex digits (Datadog tag _dd.p.tid).",
        },
    )
    ddSpanId = ma.fields.String(
        dump_default="",
        metadata={"title": "Datadog span id", "description": "The span id as a decimal string (dd.span_id)."},
    )
