"""Base classes shared by every schema."""

import marshmallow as ma


class RequestSchema(ma.Schema):
    """A request body: unknown keys are dropped, because Genesys may send more than the contract."""

    class Meta:
        unknown = ma.EXCLUDE


class ResponseSchema(ma.Schema):
    """A response body: every declared key is always present, so Architect never sees NOT_SET."""

    class Meta:
        ordered = True
