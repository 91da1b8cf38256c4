"""CRM lookup for the caller: request and response."""

import marshmallow as ma

from schemas.base import RequestSchema
from schemas.base import ResponseSchema

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


class CustomerResponse(ResponseSchema):
    """Output of POST /v1/customer: every field always present, defaults on a miss."""

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
    customerId = ma.fields.String(dump_default="", metadata={"title": "Customer id", "description": "CRM customer id."})
    firstName = ma.fields.String(dump_default="", metadata={"title": "First name", "description": "Given name."})
    lastName = ma.fields.String(dump_default="", metadata={"title": "Last name", "description": "Family name."})
    displayName = ma.fields.String(
        dump_default="", metadata={"title": "Display name", "description": "Name to greet or show the agent."}
    )
    email = ma.fields.String(dump_default="", metadata={"title": "E-mail", "description": "E-mail address."})
    phone = ma.fields.String(dump_default="", metadata={"title": "Phone", "description": "Phone number in E.164."})
    accountNumber = ma.fields.String(
        dump_default="", metadata={"title": "Account number", "description": "Account number."}
    )
    tier = ma.fields.String(
        dump_default="", metadata={"title": "Tier", "description": "Service tier, e.g. standard, gold, platinum."}
    )
    segment = ma.fields.String(dump_default="", metadata={"title": "Segment", "description": "Customer segment."})
    preferredLanguage = ma.fields.String(
        dump_default="", metadata={"title": "Preferred language", "description": "BCP 47 language tag, e.g. en-US."}
    )
    priority = ma.fields.Integer(
        dump_default=0,
        metadata={"title": "Priority", "description": "Routing priority 0-100.", "minimum": 0, "maximum": 100},
    )
    vip = ma.fields.Boolean(dump_default=False, metadata={"title": "VIP", "description": "VIP customer."})
    openCases = ma.fields.Integer(
        dump_default=0, metadata={"title": "Open cases", "description": "Number of open support cases."}
    )
    lastContactAt = ma.fields.String(
        dump_default="",
        metadata={"title": "Last contact", "description": "Last contact time, ISO-8601 UTC, or empty."},
    )
