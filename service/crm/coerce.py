"""Turn the values a remote CRM sends into our customer fields' types, or say why a value was refused."""

from __future__ import annotations

import math
import re

from schemas.record import BUILTIN_FIELDS
from schemas.record import RecordField
from schemas.record import to_bool as word_to_bool
from schemas.record import to_utc_timestamp as text_to_utc_timestamp
from service.crm.phones import PhoneError
from service.crm.phones import normalise_phone
from service.crm.text_rules import text_problem

_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")


class Refused(ValueError):
    """A CRM value that cannot become our field; the message says why without repeating the value (PII)."""


def coerce_record(
    raw: dict[str, object],
    *,
    tiers: tuple[str, ...],
    default_region: str,
    fields: tuple[RecordField, ...] = BUILTIN_FIELDS,
) -> tuple[dict, list[str]]:
    """Our record (`fields`, schemas.record) from ourField -> raw CRM value: every field present (defaults where
    absent, null or refused) and one "field: reason" line per refused value."""
    record: dict[str, object] = {}
    problems: list[str] = []
    for field in fields:
        value = raw.get(field.name)
        try:
            record[field.name] = field.default if value is None else _coerce(field, value, tiers, default_region)
        except Refused as exc:
            record[field.name] = field.default
            problems.append(f"{field.name}: {exc}")
    if not record["displayName"]:
        # Flows greet by displayName; a CRM that only has first and last names still gets a greeting.
        record["displayName"] = " ".join(part for part in (record["firstName"], record["lastName"]) if part)
    return record, problems


def _coerce(field: RecordField, value: object, tiers: tuple[str, ...], default_region: str) -> object:
    if field.type == "boolean":
        return to_bool(value)
    if field.type == "integer":
        number = to_int(value)
        low, high = field.bounds
        if low <= number <= high:
            return number
        if field.scale:
            # Clamped, not refused: a CRM on a wider scale still ranks its most important callers first,
            # where refusing would drop them to the default, below everyone.
            return min(high, max(low, number))
        raise Refused("negative" if low == 0 and number < 0 else f"outside {low}..{high}")
    if field.rule == "phone":
        return to_e164(to_text(value), default_region)
    if field.rule == "email":
        return safe_text(to_text(value)).lower()
    if field.rule == "tier":
        tier = to_text(value).lower()
        if tier and tier not in tiers:
            raise Refused(f"not one of the configured tiers ({', '.join(tiers)})")
        return tier
    if field.rule == "timestamp":
        return to_utc_timestamp(value)
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
    """true/false, 1/0, and schemas.record's true/false words (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        try:
            return word_to_bool(value)
        except ValueError:
            pass
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
    """2024-05-01T12:34:56Z from ISO-8601 text or epoch seconds/milliseconds, by schemas.record's rule for dates."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Refused(f"{_kind(value)} where a timestamp was expected")
    try:
        return text_to_utc_timestamp(value)
    except ValueError as exc:
        raise Refused(str(exc)) from None


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
