"""OpenAPI 3.1 document generated from the schemas attached to the views."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from schemas import CustomerResponse
from schemas import ErrorResponse
from schemas import HealthResponse
from schemas.customer import with_custom_fields
from schemas.record import RecordField

_ERROR_TEXT = {
    400: "Invalid input",
    401: "Missing or invalid API key",
    404: "Not found",
    405: "Method not allowed",
    413: "Body too large",
    415: "Not JSON",
    500: "Unexpected error",
    503: "Backend unavailable",
}


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__


def build_openapi(app: Flask, version: str, custom: tuple[RecordField, ...] = ()) -> dict:
    """Walk the app's URL map and document every view that carries api_doc metadata; customer responses carry
    the custom fields too."""
    spec = APISpec(
        title="architect-companion",
        version=version,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": "Data-action endpoint for Genesys Cloud call flows: trace ids and CRM fields."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("apiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    spec.components.security_scheme("basic", {"type": "http", "scheme": "basic"})
    spec.components.schema("ErrorResponse", schema=ErrorResponse)
    spec.components.schema("HealthResponse", schema=HealthResponse)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        doc = getattr(view, "api_doc", None)
        if doc is None:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        operations = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {"summary": doc["summary"], "responses": {}}
            if (view.__doc__ or "").strip():
                operation["description"] = view.__doc__.strip()
            if doc["request"] is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": doc["request"]}},
                }
            if doc["response"] is not None:
                response = doc["response"]
                if issubclass(response, CustomerResponse):
                    response = with_custom_fields(response, custom)
                operation["responses"]["200"] = {
                    "description": "OK",
                    "content": {"application/json": {"schema": response}},
                }
            for status in doc["errors"]:
                operation["responses"][str(status)] = {
                    "description": _ERROR_TEXT.get(status, "Error"),
                    "content": {"application/json": {"schema": "ErrorResponse"}},
                }
            if rule.rule.startswith("/v1/"):
                operation["security"] = [{"bearer": []}, {"apiKey": []}, {"basic": []}]
            operations[method.lower()] = operation
        spec.path(path=path, operations=operations)
    return spec.to_dict()
