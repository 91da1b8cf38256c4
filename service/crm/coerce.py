"""Turn the values a remote CRM sends into our customer fields' types, or say why a value was refused."""

from __future__ import annotations

import datetime as dt
import math
import re

import marshmallow as ma

from schemas import CustomerResponse
from service.crm.phones import PhoneError
from service.crm.phones import normalise_phone
from service.crm.text_rules import text_problem

# Our record fields: the response fields minus what the API layer adds (found, degraded, source).
RECORD_FIELDS = tuple(name for name in CustomerResponse().fields if name not in ("found", "degraded", "source"))
_FIELD_TYPES = {name: type(field) for name, field in CustomerResponse().fields.items() if name in RECORD_FIELDS}

PRIORITY_RANGE = (0, 100)
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}
# Epoch numbers above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
_EPOCH_MS_THRESHOLD = 1e11
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
# Epoch seconds have had 10 digits since 2001 (milliseconds 13); 8 digits are an ISO basic date (20240501).
_EPOCH_TEXT = re.compile(r"^\d{10,}$")


class Refused(ValueError):
    """A CRM value that cannot become our field; the message says why without repeating the value (PII)."""


def coerce_record(raw: dict[str, object], *, tiers: tuple[str, ...], default_region: str) -> tuple[dict, list[str]]:
    """Our record from ourField -> raw CRM value: every field present (defaults where absent, null or refused)
    and one "field: reason" line per refused value."""
    record: dict[str, object] = {}
    problems: list[str] = []
    for name in RECORD_FIELDS:
        value = raw.get(name)
        try:
            record[name] = _default(name) if value is None else _coerce(name, value, tiers, default_region)
        except Refused as exc:
            record[name] = _default(name)
            problems.append(f"{name}: {exc}")
    if not record["displayName"]:
        # Flows greet by displayName; a CRM that only has first and last names still gets a greeting.
        record["displayName"] = " ".join(part for part in (record["firstName"], record["lastName"]) if part)
    return record, problems


def _default(name: str) -> object:
    kind = _FIELD_TYPES[name]
    if kind is ma.fields.Boolean:
        return False
    if kind is ma.fields.Integer:
        return 0
    return ""


def _coerce(name: str, value: object, tiers: tuple[str, ...], default_region: str) -> object:
    if name == "phone":
        return to_e164(to_text(value), default_region)
    if name == "email":
        return safe_text(to_text(value)).lower()
    if name == "tier":
        tier = to_text(value).lower()
        if tier and tier not in tiers:
            raise Refused(f"not one of the configured tiers ({', '.join(tiers)})")
        return tier
    if name == "lastContactAt":
        return to_utc_timestamp(value)
    if name == "priority":
        # Clamped, not refused: a CRM on a wider scale still ranks its most important callers first,
        # where refusing would drop them to 0, below everyone.
        low, high = PRIORITY_RANGE
        return min(high, max(low, to_int(value)))
    kind = _FIELD_TYPES[name]
    if kind is ma.fields.Boolean:
        return to_bool(value)
    if kind is ma.fields.Integer:
        number = to_int(value)
        if number < 0:
            raise Refused("negative")
        return number
    return safe_text(to_text(value))


def safe_text(text: str) -> str:
    """text, if service.crm.text_rules lets it through (the CSV import applies the same rules)."""
    problem = text_problem(text)
    if problem:
        raise Refused(problem)
    return text


def to_text(value: object) -> str:
    """Strings stripped; integers and integral numbers as digits (CRM ids are often numbers)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise Refused("a boolean where text was expected")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    raise Refused(f"{_kind(value)} where text was expected")


def to_int(value: object) -> int:
    """An integer from an integer, an integral number or decimal digits."""
    if isinstance(value, bool):
        raise Refused("a boolean where an integer was expected")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        return int(value.strip())
    raise Refused(f"{_kind(value)} where an integer was expected")


def to_bool(value: object) -> bool:
    """true/false, 1/0, and the strings "true"/"false", "yes"/"no", "y"/"n", "1"/"0" (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise Refused(f"{_kind(value)} where a boolean was expected")


def to_e164(text: str, default_region: str) -> str:
    """+13175550116 from any form callers' numbers come in (the same rules as lookup keys)."""
    if not text:
        return ""
    try:
        return normalise_phone(text, default_region)
    except PhoneError:
        # PhoneError's message may quote the number; log lines must not.
        raise Refused("not a valid phone number") from None


def to_utc_timestamp(value: object) -> str:
    """ISO-8601 (any offset; none means UTC; a date alone is midnight) or epoch seconds/milliseconds
    -> 2024-05-01T12:34:56Z."""
    if isinstance(value, bool):
        raise Refused("a boolean where a timestamp was expected")
    if isinstance(value, (int, float)) or (isinstance(value, str) and _EPOCH_TEXT.match(value.strip())):
        seconds = float(value)
        if seconds > _EPOCH_MS_THRESHOLD:
            seconds /= 1000
        try:
            moment = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise Refused("an epoch number out of range") from None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return ""
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Refused("not an ISO-8601 timestamp") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
    else:
        raise Refused(f"{_kind(value)} where a timestamp was expected")
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kind(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, float):
        return "a non-integral number" if math.isfinite(value) else "a non-finite number"
    if isinstance(value, str):
        return "text"
    return "a value of another type"
