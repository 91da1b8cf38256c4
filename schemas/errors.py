"""The one JSON error shape every failure uses."""

import marshmallow as ma

from schemas.base import ResponseSchema


class ErrorDetail(ResponseSchema):
    """What went wrong."""

    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable error code."})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable explanation."})
    fields = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Per-field messages for invalid input."},
    )


class ErrorResponse(ResponseSchema):
    """Body of every 4xx/5xx response."""

    error = ma.fields.Nested(ErrorDetail, required=True)
