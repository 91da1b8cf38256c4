"""The service endpoints that become data actions: one entry each, with the schemas that define them."""

from __future__ import annotations

import dataclasses

import marshmallow as ma

from schemas import ContextRequest
from schemas import ContextResponse
from schemas import CustomerQuery
from schemas import CustomerResponse
from schemas import TraceRequest
from schemas import TraceResponse
from schemas.customer import with_custom_fields
from schemas.record import RecordField


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """A POST endpoint of the service and the data action that calls it."""

    key: str  # short id used in Terraform resource names
    action_name: str  # the data action's name, as Architect's callData refers to it
    path: str
    request: type[ma.Schema]
    response: type[ma.Schema]

    @property
    def file_name(self) -> str:
        """The exported file name: the action name with dashes, like a Genesys export (without its timestamp)."""
        return self.action_name.replace(" ", "-") + ".custom.json"


TRACE = Endpoint("trace", "Companion Get Trace Context", "/v1/trace", TraceRequest, TraceResponse)
CUSTOMER = Endpoint("customer", "Companion Get Customer", "/v1/customer", CustomerQuery, CustomerResponse)
CONTEXT = Endpoint("context", "Companion Get Call Context", "/v1/context", ContextRequest, ContextResponse)

ENDPOINTS = (TRACE, CUSTOMER, CONTEXT)


def endpoints_for(custom: tuple[RecordField, ...]) -> tuple[Endpoint, ...]:
    """ENDPOINTS with the custom fields (a fields file's) added to the customer and context responses."""
    return tuple(
        dataclasses.replace(endpoint, response=with_custom_fields(endpoint.response, custom))
        if issubclass(endpoint.response, CustomerResponse)
        else endpoint
        for endpoint in ENDPOINTS
    )
