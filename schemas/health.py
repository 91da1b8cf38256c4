"""Liveness and readiness bodies."""

import marshmallow as ma

from schemas.base import ResponseSchema


class HealthResponse(ResponseSchema):
    """Body of GET /healthz and GET /readyz."""

    status = ma.fields.String(required=True, metadata={"description": "ok, or unavailable with a reason."})
    reason = ma.fields.String(metadata={"description": "Why the service is not ready."})
