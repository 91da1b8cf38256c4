"""Architect values in Python: NOT_SET, phone numbers, audio, the expression errors, ToString and type coercion."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

import phonenumbers

# Value model (what evaluate() returns and what Scope.lookup() may return):
#   String -> str, Integer -> int, Decimal -> decimal.Decimal, Boolean -> bool, DateTime -> datetime (UTC, aware),
#   Duration -> timedelta, collections -> list, PhoneNumber, Audio, Prompt, objects such as queues -> dict
#   (properties read case-insensitively, e.g. Task.Queue.id), and NOT_SET.


class ExpressionError(Exception):
    """An expression cannot be parsed or evaluated; the message names the expression and where it went wrong."""

    def __init__(self, message: str, expression: str | None = None, position: int | None = None):
        self.reason = message
        super().__init__(message)
        self.locate(expression, position)

    def locate(self, expression: str | None, position: int | None) -> "ExpressionError":
        """Attach the expression text and position (in place, so subclasses keep their own constructors)."""
        self.expression = expression
        self.position = position
        where = ""
        if expression is not None:
            where = f" in expression {expression!r}"
            if position is not None:
                where += f" at position {position}"
        self.args = (self.reason + where,)
        return self


class UnsupportedError(ExpressionError):
    """The expression uses a function or property this runtime does not implement (never silently skipped)."""


class EvaluationError(ExpressionError):
    """A runtime failure that Architect sends to the flow's error handling (bad conversion, index out of range...)."""


class NotSetError(EvaluationError):
    """A NOT_SET value was read where Architect fails at runtime, which sends the flow to error handling."""


class _NotSet:
    """Architect's NOT_SET: a scalar without a value (not the same as "" or 0)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_SET"

    def __bool__(self) -> bool:
        # NOT_SET is neither true nor false in Architect: a condition on it fails at runtime. Refusing truthiness
        # here keeps Python code from quietly treating it as False.
        raise TypeError("NOT_SET has no truth value; test it with `is NOT_SET` or IsSet()")

    def __reduce__(self):
        return "NOT_SET"


NOT_SET = _NotSet()


@dataclass(frozen=True)
class Prompt:
    """A user or system prompt referenced by name (`lit: {name: PromptSystem.on_hold_music}`)."""

    name: str


@dataclass(frozen=True)
class Audio:
    """What would be played: a list of parts such as ("tts", text), ("blank", ms) or ("prompt", name)."""

    parts: tuple = ()
    barge_in: bool | None = None

    def text(self) -> str:
        """A readable one-line rendering for transcripts."""
        rendered = []
        for kind, value in self.parts:
            if kind == "tts":
                rendered.append(f"TTS {value!r}")
            elif kind == "blank":
                rendered.append(f"silence {value} ms")
            else:
                rendered.append(f"{kind} {value}")
        return ", ".join(rendered) if rendered else "nothing"


# The phone number data type (help.mypurecloud.com/articles/about-the-phone-number-data-type): schemes tel, sip
# and sips ("Architect does not differentiate between sip or sips"); properties `uri` (set for every phone number),
# `e164` ("for a tel scheme phone number with a valid E.164 phone number ... otherwise a NOT_SET string"),
# `subscriberNumber` (the E.164 number without its dialing code). `dialingCode` is used by Genesys's own example
# ToPhoneNumber(Append("tel: +", ToPhoneNumber(Call.Ani).dialingCode, Flow.CustomerInput))
# (help.mypurecloud.com/?p=76134); `isTel` by a published walkthrough (note.com/solidia/n/n62d2aebcf43e).
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
_SCHEME = re.compile(r"^\s*(tel|sips?)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class PhoneNumber:
    """An Architect PhoneNumber made by ToPhoneNumber(): raw text, scheme and the documented properties."""

    raw: str
    scheme: str  # "tel" or "sip" ("sips" is classified as sip, as Architect does)
    uri: str
    e164: object  # str or NOT_SET
    dialing_code: object  # str or NOT_SET
    subscriber_number: object  # str or NOT_SET

    @property
    def is_tel(self) -> bool:
        return self.scheme == "tel"

    @property
    def is_sip(self) -> bool:
        return self.scheme == "sip"

    def property(self, name: str):
        """Read a documented property by its Architect name (case-insensitive)."""
        getters = {
            "uri": lambda: self.uri,
            "e164": lambda: self.e164,
            "dialingcode": lambda: self.dialing_code,
            "subscribernumber": lambda: self.subscriber_number,
            "istel": lambda: self.is_tel,
            "issip": lambda: self.is_sip,
        }
        getter = getters.get(name.lower())
        if getter is None:
            raise UnsupportedError(f"unsupported PhoneNumber property {name}")
        return getter()


def parse_phone_number(text: str) -> PhoneNumber:
    """Build a PhoneNumber from a `tel:` / `sip:` / `sips:` URI (spaces after the colon allowed, as Call.Ani has)."""
    match = _SCHEME.match(text)
    if match is None:
        # Architect's phone numbers always carry a scheme (tel, sip or sips); a bare number is a tel number only
        # when it is a global "+digits" one, which is how people write E.164 by hand.
        if _E164.match(text.strip()):
            match = _SCHEME.match("tel:" + text.strip())
        else:
            raise EvaluationError(f"cannot convert {text!r} to a PhoneNumber (expected a tel:, sip: or sips: URI)")
    scheme, rest = match.group(1).lower(), match.group(2).strip()
    if scheme == "sips":
        scheme = "sip"
    if not rest:
        raise EvaluationError(f"cannot convert {text!r} to a PhoneNumber (nothing after the scheme)")
    if scheme == "sip":
        return PhoneNumber(text, "sip", f"{match.group(1).lower()}:{rest}", NOT_SET, NOT_SET, NOT_SET)
    number = rest.split(";", 1)[0]
    number = re.sub(r"[\s\-.()]", "", number)  # RFC 3966 visual separators
    if not _E164.match(number):
        return PhoneNumber(text, "tel", f"tel:{rest}", NOT_SET, NOT_SET, NOT_SET)
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return PhoneNumber(text, "tel", f"tel:{number}", NOT_SET, NOT_SET, NOT_SET)
    dialing_code = str(parsed.country_code)
    return PhoneNumber(text, "tel", f"tel:{number}", number, dialing_code, number[1 + len(dialing_code):])


def to_architect_string(value) -> str:
    """Render a value as ToString does; NOT_SET has no text (ToString(NOT_SET) stays NOT_SET), so it raises."""
    if value is NOT_SET:
        raise NotSetError("a NOT_SET value has no string form")
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        # chosen (not documented publicly): lower case, Architect's own spelling of the literals `true` / `false`.
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, PhoneNumber):
        return value.uri
    raise UnsupportedError(f"unsupported ToString of a {type_name(value)} value")


def format_decimal(value: Decimal) -> str:
    """A decimal in plain notation without trailing zeros ("1.5", "2", "-0.25")."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def format_datetime(value: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, the form ToDateTime reads back."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_datetime(text: str) -> dt.datetime:
    """Read an ISO 8601 date-time (Z or offset; no offset means UTC, as Architect works in UTC)."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(candidate)
    except ValueError:
        raise EvaluationError(f"cannot convert {text!r} to a DateTime (expected ISO 8601)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def format_duration(value: dt.timedelta) -> str:
    """ISO 8601 duration (P1DT2H3M4.5S style); Architect's own text form for durations is not documented."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    remaining = abs(value)
    days = remaining.days
    seconds = remaining.seconds
    micro = remaining.microseconds
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if seconds or micro or (not days and not hours and not minutes):
        sec = Decimal(seconds) + Decimal(micro) / Decimal(1_000_000)
        time += f"{format_decimal(sec)}S"
    if time:
        out += "T" + time
    return out


def type_name(value) -> str:
    """The Architect type name of a value, for error messages."""
    if value is NOT_SET:
        return "NOT_SET"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, Decimal):
        return "Decimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, dt.datetime):
        return "DateTime"
    if isinstance(value, dt.timedelta):
        return "Duration"
    if isinstance(value, list):
        return "Collection"
    if isinstance(value, PhoneNumber):
        return "PhoneNumber"
    if isinstance(value, Audio):
        return "Audio"
    if isinstance(value, Prompt):
        return "Prompt"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


_DURATION_UNITS = {
    "ms": "milliseconds",
    "milliseconds": "milliseconds",
    "seconds": "seconds",
    "minutes": "minutes",
    "hours": "hours",
    "days": "days",
}


def coerce(value, type_name_: str):
    """Convert a Python/JSON value (data-action output, `lit:` literal) to an Architect type, or raise ExpressionError.

    Type names: string, integer, decimal (alias number), boolean, dateTime, duration, phoneNumber, and
    "<type>Collection" (e.g. stringCollection, integerCollection); case-insensitive. JSON null is NOT_SET for a
    scalar and an empty collection for a collection (Architect's NOT_SET applies to scalars only:
    help.mypurecloud.com/articles/using-not_set-expressions/).
    """
    name = type_name_.strip().lower()
    if name.endswith("collection") and name != "collection":
        element_type = name[: -len("collection")]
        if value is None or value is NOT_SET:
            return []
        if not isinstance(value, (list, tuple)):
            raise ExpressionError(f"cannot use {value!r} as a {type_name_}: not a list")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(coerce(item, element_type))
            except ExpressionError as error:
                raise ExpressionError(f"cannot use item {index} of {type_name_}: {error.reason}") from None
        return items
    if value is None or value is NOT_SET:
        return NOT_SET
    converter = _COERCERS.get(name)
    if converter is None:
        raise UnsupportedError(f"unsupported Architect type {type_name_!r}")
    return converter(value, type_name_)


def _coerce_string(value, type_name_):
    # Implicit casting: Architect turns an integer, decimal or boolean result into a string where a string is
    # expected (help.mypurecloud.com/articles/use-implicit-casting-expressions/: "3+4" assigned to a string is "7").
    if isinstance(value, float):
        value = _float_to_decimal(value)
    if isinstance(value, (str, bool, int, Decimal, dt.datetime, dt.timedelta, PhoneNumber)):
        return to_architect_string(value)
    raise ExpressionError(f"cannot use {value!r} as a {type_name_}")


def _coerce_integer(value, type_name_):
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ExpressionError(f"cannot use {value!r} as an {type_name_}: not a number")
    if isinstance(value, int):
        return value
    number = _float_to_decimal(value) if isinstance(value, float) else value
    if number != number.to_integral_value():
        raise ExpressionError(f"cannot use {value!r} as an {type_name_}: it has a fraction")
    return int(number)


def _coerce_decimal(value, type_name_):
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ExpressionError(f"cannot use {value!r} as a {type_name_}: not a number")
    if isinstance(value, float):
        return _float_to_decimal(value)
    return Decimal(value)


def _coerce_boolean(value, type_name_):
    if isinstance(value, bool):
        return value
    raise ExpressionError(f"cannot use {value!r} as a {type_name_}: not true or false")


def _coerce_datetime(value, type_name_):
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except EvaluationError as error:
            raise ExpressionError(error.reason) from None
    raise ExpressionError(f"cannot use {value!r} as a {type_name_}")


def _coerce_duration(value, type_name_):
    # Duration literals are maps such as `lit: {minutes: 1}` or `lit: {ms: 100}` (docs/reference/archy-flows.md §4).
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, dict) and value:
        parts = {}
        for key, amount in value.items():
            unit = _DURATION_UNITS.get(str(key).lower())
            if unit is None or isinstance(amount, bool) or not isinstance(amount, (int, float)):
                raise ExpressionError(f"cannot use {value!r} as a {type_name_}: bad part {key!r}")
            parts[unit] = amount
        return dt.timedelta(**parts)
    raise ExpressionError(f"cannot use {value!r} as a {type_name_}")


def _coerce_phone_number(value, type_name_):
    if isinstance(value, PhoneNumber):
        return value
    if isinstance(value, str):
        try:
            return parse_phone_number(value)
        except EvaluationError as error:
            raise ExpressionError(error.reason) from None
    raise ExpressionError(f"cannot use {value!r} as a {type_name_}")


def _float_to_decimal(value: float) -> Decimal:
    # JSON numbers arrive as floats; going through repr keeps 0.1 as 0.1 instead of its binary expansion.
    if not math.isfinite(value):
        raise ExpressionError(f"cannot use {value!r} as a decimal: not a finite number")
    return Decimal(repr(value))


_COERCERS = {
    "string": _coerce_string,
    "integer": _coerce_integer,
    "decimal": _coerce_decimal,
    "number": _coerce_decimal,
    "boolean": _coerce_boolean,
    "datetime": _coerce_datetime,
    "duration": _coerce_duration,
    "phonenumber": _coerce_phone_number,
}


@dataclass
class DictScope:
    """A Scope over a plain mapping (case-insensitive names), for tests and simple callers."""

    values: dict = field(default_factory=dict)
    now: dt.datetime | None = None

    def __post_init__(self):
        self._folded = {key.lower(): value for key, value in self.values.items()}

    def lookup(self, name: str):
        try:
            return self._folded[name.lower()]
        except KeyError:
            raise ExpressionError(f"unknown variable {name}") from None

    def current_time(self) -> dt.datetime:
        return self.now or dt.datetime.now(dt.timezone.utc)
