"""POST /v1/trace: the call's trace context."""

from flask import current_app

from schemas import TraceRequest
from schemas import TraceResponse
from service.api import bp
from service.api.docs import documented
from service.body import load_body
from service.compiled_loader import CompiledLoader
from service.config import effective_trace_secret
from service.logs import log_fields
from service.tracing import TraceContext
from service.tracing import derive_trace_context

# Compiled when the app is created (create_app imports the views), from the schema as it is then.
TRACE_REQUEST = CompiledLoader(TraceRequest())
# The response's keys in the schema's order. The trace ids are flat strings on TraceContext, so the answer
# is read straight off it: a marshmallow dump would cost more than deriving the ids (tests/test_answers.py
# checks the two agree).
TRACE_KEYS = tuple(TraceResponse().dump_fields)


def trace_answer(context: TraceContext) -> dict:
    """The TraceResponse body for a trace context, as TraceResponse().dump(context) would make it."""
    return {name: getattr(context, name) for name in TRACE_KEYS}


def trace_for(conversation_id: str, participant_id: str, settings, fields: dict) -> TraceContext:
    """Derive the trace context with the app's secret (settings) and add its ids to the access line's fields."""
    context = derive_trace_context(effective_trace_secret(settings), conversation_id, participant_id)
    fields.update(
        {"conversationId": conversation_id, "participantId": participant_id, "dd.trace_id": context.ddTraceId,
         "dd.span_id": context.ddSpanId}
    )
    return context


def trace_body(data: dict, extensions: dict, fields: dict) -> dict:
    """The /v1/trace answer for a loaded TraceRequest, with the app's extensions; notes the ids in `fields`."""
    return trace_answer(trace_for(data["conversationId"], data["participantId"], extensions["companion.settings"],
                                  fields))


@bp.post("/trace")
@documented(summary="Trace context for a call", request=TraceRequest, response=TraceResponse)
def trace():
    """Trace ids derived from the conversation id, in W3C and Datadog forms."""
    return trace_body(load_body(TRACE_REQUEST), current_app.extensions, log_fields())
