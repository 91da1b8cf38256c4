"""Marshmallow schemas: the one source of truth for every request, response and data-action contract."""

from schemas.context import ContextRequest
from schemas.context import ContextResponse
from schemas.customer import CustomerQuery
from schemas.customer import CustomerResponse
from schemas.errors import ErrorResponse
from schemas.health import HealthResponse
from schemas.trace import TraceRequest
from schemas.trace import TraceResponse

__all__ = [
    "ContextRequest",
    "ContextResponse",
    "CustomerQuery",
    "CustomerResponse",
    "ErrorResponse",
    "HealthResponse",
    "TraceRequest",
    "TraceResponse",
]
