"""The customer record: each field's type, bounds and value rule, for every part that reads or stores customers.

The response schemas (schemas/customer.py), the CSV importer, the SQLite (and any other) store's columns, the
coercion of a remote CRM's values, the demo generator and the fields file's custom fields all derive from the
definitions here; docs/crm.md describes them for users.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable

FIELD_TYPES = ("string", "integer", "boolean")
# How a string field's text is checked and normalised (service.crm.importer and service.crm.coerce apply them):
#   text: stripped, and passing service.crm.text_rules (length, control characters, spreadsheet formulas);
#   id: text that must not be empty (the record's key);
#   phone: E.164 (+13175550116);   email: an address, compared lower-cased;   tier: one of COMPANION_TIERS;
#   language: a BCP 47 tag such as en-US;   timestamp: UTC, 2024-05-01T12:34:56Z (see to_utc_timestamp).
VALUE_RULES = ("text", "id", "phone", "email", "tier", "language", "timestamp")
# Integers are stored in 64 bits (SQLite INTEGER, PostgreSQL bigint).
INTEGER_RANGE = (-(2**63), 2**63 - 1)
# The words a boolean may be written as, any case; an empty value is false.
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f", ""})
# Epoch numbers above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
_EPOCH_MS_THRESHOLD = 1e11
# Epoch seconds have had 10 digits since 2001 (milliseconds 13); 8 digits are an ISO basic date (20240501).
_EPOCH_TEXT = re.compile(r"^\d{10,}$")


@dataclasses.dataclass(frozen=True)
class RecordField:
    """One field of the customer record.

    minimum/maximum bound integers (None: INTEGER_RANGE). scale: the bounds are a ranking scale, so a remote
    CRM's value outside them is clamped (it still ranks first or last) instead of refused. required: a CSV must
    have the column, with a value in every row. attribute: the participant-data key the flows set it as
    (custom fields; the built-in fields' keys are in architect/export/attributes.py).
    """

    name: str
    type: str
    title: str
    description: str
    rule: str = "text"
    minimum: int | None = None
    maximum: int | None = None
    scale: bool = False
    required: bool = False
    attribute: str | None = None
    builtin: bool = True

    @property
    def default(self) -> object:
        """The value of an absent field: "", 0 or false."""
        return {"string": "", "integer": 0, "boolean": False}[self.type]

    @property
    def bounds(self) -> tuple[int, int]:
        """The accepted integer range."""
        low, high = INTEGER_RANGE
        return (low if self.minimum is None else self.minimum, high if self.maximum is None else self.maximum)


def _text(name: str, title: str, description: str, rule: str = "text", **kwargs) -> RecordField:
    return RecordField(name, "string", title, description, rule, **kwargs)


BUILTIN_FIELDS: tuple[RecordField, ...] = (
    _text("customerId", "Customer id", "CRM customer id.", "id", required=True),
    _text("firstName", "First name", "Given name."),
    _text("lastName", "Last name", "Family name."),
    _text("displayName", "Display name", "Name to greet or show the agent."),
    _text("email", "E-mail", "E-mail address.", "email"),
    _text("phone", "Phone", "Phone number in E.164.", "phone"),
    _text("accountNumber", "Account number", "Account number."),
    _text("tier", "Tier", "Service tier, e.g. standard, gold, platinum.", "tier"),
    _text("segment", "Segment", "Customer segment."),
    _text("preferredLanguage", "Preferred language", "BCP 47 language tag, e.g. en-US.", "language"),
    RecordField("priority", "integer", "Priority", "Routing priority 0-100.", minimum=0, maximum=100, scale=True),
    RecordField("vip", "boolean", "VIP", "VIP customer."),
    RecordField("openCases", "integer", "Open cases", "Number of open support cases.", minimum=0),
    _text("lastContactAt", "Last contact", "Last contact time, ISO-8601 UTC, or empty.", "timestamp"),
)
BUILTIN_NAMES = tuple(field.name for field in BUILTIN_FIELDS)

# Store columns beyond the record's fields: the lower-cased e-mail that lookups compare with.
EMAIL_KEY_COLUMN = "emailKey"


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a customer store: the record field's name and type ("string", "integer", "boolean")."""

    name: str
    type: str
    default: object


def store_columns(fields: Iterable[RecordField]) -> tuple[Column, ...]:
    """The columns a customer store keeps for these record fields, in order, the e-mail lookup key last."""
    columns = [Column(field.name, field.type, field.default) for field in fields]
    return (*columns, Column(EMAIL_KEY_COLUMN, "string", ""))


def record_fields(custom: Iterable[RecordField] = ()) -> tuple[RecordField, ...]:
    """The built-in fields followed by the custom ones (a fields file's, already validated)."""
    return (*BUILTIN_FIELDS, *custom)


def to_bool(text: str) -> bool:
    """A boolean from one of TRUE_WORDS or FALSE_WORDS (any case, surrounding spaces ignored).

    :raise ValueError: for any other text.
    """
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("is not true/false, yes/no, y/n, t/f or 1/0")


def to_utc_timestamp(value: str | int | float) -> str:
    """2024-05-01T12:34:56Z from ISO-8601 text or epoch seconds/milliseconds (numbers, or text of 10+ digits).

    The rule for dates: any UTC offset is converted to UTC; a time without an offset is taken as UTC (what CRM
    exports that leave the zone out mean in practice, and what the service answers in); a date alone is
    midnight UTC; fractions of a second are dropped; "" stays "" (no date).

    :raise ValueError: saying why, without quoting the value.
    """
    if isinstance(value, bool):
        raise ValueError("is a boolean, not a timestamp")
    if isinstance(value, (int, float)) or _EPOCH_TEXT.match(value.strip()):
        seconds = float(value)
        if seconds > _EPOCH_MS_THRESHOLD:
            seconds /= 1000
        try:
            moment = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError("is an epoch number out of range") from None
    else:
        text = value.strip()
        if not text:
            return ""
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("is not an ISO-8601 date-time (e.g. 2024-05-01T14:30:00Z)") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
