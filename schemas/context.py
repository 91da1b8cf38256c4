"""Trace and customer fields in one data-action execution."""

from schemas.customer import CustomerKeys
from schemas.customer import CustomerResponse
from schemas.trace import TraceRequest
from schemas.trace import TraceResponse


class ContextRequest(CustomerKeys, TraceRequest):
    """Input of POST /v1/context: the conversation and, optionally, the caller's lookup keys."""

    class Meta(TraceRequest.Meta):
        title = "Call context request"
        description = "conversationId plus any of phone, customerId, email, accountNumber."


class ContextResponse(CustomerResponse, TraceResponse):
    """Output of POST /v1/context: trace fields and customer fields, flat."""

    class Meta(TraceResponse.Meta):
        title = "Call context"
        description = "Trace ids for the conversation and the caller's CRM fields, flat."
