"""CRM lookup for the caller: request and response."""

import marshmallow as ma

from schemas.base import RequestSchema
from schemas.base import ResponseSchema
from schemas.record import BUILTIN_FIELDS
from schemas.record import RecordField

KEY_MAX_LENGTH = 256
LOOKUP_KEYS = ("phone", "customerId", "email", "accountNumber")


class CustomerKeys(RequestSchema):
    """The keys a customer can be looked up by; all optional here."""

    phone = ma.fields.String(
        validate=ma.validate.Length(max=KEY_MAX_LENGTH),
        metadata={
            "title": "Phone",
            "description": "Caller's number as Architect has it (Call.Ani: tel:+13175550116, sip:+1...@host) "
            "or as typed (+1 (317) 555-0116, national digits).",
        },
    )
    customerId = ma.fields.String(
        validate=ma.validate.Length(max=KEY_MAX_LENGTH),
        metadata={"title": "Customer id", "description": "CRM customer id."},
    )
    email = ma.fields.String(
        validate=ma.validate.Length(max=KEY_MAX_LENGTH),
        metadata={"title": "E-mail", "description": "Customer e-mail address (case-insensitive)."},
    )
    accountNumber = ma.fields.String(
        validate=ma.validate.Length(max=KEY_MAX_LENGTH),
        metadata={"title": "Account number", "description": "Customer account number."},
    )


class CustomerQuery(CustomerKeys):
    """Input of POST /v1/customer: at least one lookup key."""

    class Meta(CustomerKeys.Meta):
        title = "Customer lookup request"
        description = "At least one of phone, customerId, email, accountNumber."

    @ma.validates_schema
    def _require_one_key(self, data, **kwargs):
        if not any((data.get(key) or "").strip() for key in LOOKUP_KEYS):
            raise ma.ValidationError(
                f"at least one of {', '.join(LOOKUP_KEYS)} is required", field_name="_schema"
            )


class _LookupOutcome(ResponseSchema):
    """What the API says about the lookup itself, before the record's fields."""

    class Meta(ResponseSchema.Meta):
        title = "Customer"
        description = "CRM fields of the caller; found=false and defaults when there is no match."

    found = ma.fields.Boolean(
        dump_default=False,
        metadata={"title": "Found", "description": "True when the CRM has a matching customer."},
    )
    degraded = ma.fields.Boolean(
        dump_default=False,
        metadata={
            "title": "Degraded",
            "description": "True when the CRM could not answer in time and the fields come from cache or defaults.",
        },
    )
    source = ma.fields.String(
        dump_default="none",
        metadata={
            "title": "Source",
            "description": "Where the fields came from: sqlite, postgres, http, cache or none.",
        },
    )


def response_field(field: RecordField) -> ma.fields.Field:
    """The response (and data-action output contract) field of a record field, with its default."""
    metadata = {"title": field.title, "description": field.description}
    # Bounds are documented for a scale and for custom fields; the other built-in fields' contracts are
    # published as they are, and Genesys cannot change a published action's contract.
    if field.type == "integer" and (field.scale or not field.builtin):
        metadata.update(
            {key: value for key, value in (("minimum", field.minimum), ("maximum", field.maximum)) if value is not None}
        )
    kind = {"string": ma.fields.String, "integer": ma.fields.Integer, "boolean": ma.fields.Boolean}[field.type]
    return kind(dump_default=field.default, metadata=metadata)


CustomerResponse = type(
    "CustomerResponse",
    (_LookupOutcome,),
    {
        "__doc__": "Output of POST /v1/customer: every field always present, defaults on a miss.",
        "__module__": __name__,
        **{field.name: response_field(field) for field in BUILTIN_FIELDS},
    },
)


def with_custom_fields(schema: type[ma.Schema], custom: tuple[RecordField, ...]) -> type[ma.Schema]:
    """A subclass of a response schema with the custom fields after its own; the schema itself when there are none.

    The subclass keeps the name, title and description, so /openapi.json and the contracts read the same.
    """
    if not custom:
        return schema
    attrs = {field.name: response_field(field) for field in custom}
    attrs["Meta"] = type("Meta", (schema.Meta,), {})
    return type(schema.__name__, (schema,), attrs)
