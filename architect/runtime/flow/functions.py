"""The Architect expression functions this runtime implements, registered by case-insensitive name."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Callable

from architect.runtime.flow.values import (
    NOT_SET,
    Audio,
    EvaluationError,
    ExpressionError,
    NotSetError,
    UnsupportedError,
    PhoneNumber,
    Prompt,
    parse_datetime,
    parse_phone_number,
    to_architect_string,
    type_name,
)

# Sources for the semantics below (cite these in reviews; anything marked "chosen" is not documented publicly and
# is the stricter or the Excel-like reading, listed in docs/flows.md, "Flow expressions"):
# [NOTSET] help.mypurecloud.com/articles/using-not_set-expressions/ : NOT_SET applies to scalars; ToString(NOT_SET)
#          is a NOT_SET string and ToString(NOT_SET) == "" is false; parameters that do not allow NOT_SET invoke
#          the error handler at runtime; 5+Flow.MyInteger with a NOT_SET integer fails; IsSet() guards it.
# [CAST]   help.mypurecloud.com/articles/use-implicit-casting-expressions/ : ToString(5) is "5"; casting only applies
#          to the result of a whole expression.
# [PHONE]  help.mypurecloud.com/articles/about-the-phone-number-data-type/ and help.mypurecloud.com/?p=76134
#          (Append("tel: +", ToPhoneNumber(Call.Ani).dialingCode, Flow.CustomerInput)).
# [SECURE] help.mypurecloud.com/articles/extract-secure-data-data-action/ : Substring(Secure.CustomerId, 0, 3) takes
#          the first three characters, so Substring is 0-based (start, length).
# [REF]    docs/reference/archy-flows.md §2, §4: FindFirst(...) >= 0 tests membership (-1 when absent),
#          GetAt(collection, index), Append(ToAudioBlank(500), ToAudioTTS("...")), AudioPlaybackOptions(audio, true),
#          ToInt(Task.intSeconds/60) (so "/" yields a decimal), DateTimeDiff(now, earlier) >= duration.


class Context:
    """What a function may need besides its arguments: the scope (for the clock)."""

    __slots__ = ("scope",)

    def __init__(self, scope):
        self.scope = scope

    def now(self) -> dt.datetime:
        # A scope may pin the clock (tests, reproducible simulations); otherwise real UTC time.
        current_time = getattr(self.scope, "current_time", None)
        if current_time is not None:
            return current_time()
        return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Function:
    """One Architect function: its canonical name, arity and implementation."""

    name: str
    min_args: int
    max_args: int | None  # None: variadic
    impl: Callable
    lazy: bool = False  # True: impl receives argument thunks (If), not values


REGISTRY: dict[str, Function] = {}


def _register(name: str, min_args: int, max_args: int | None = -1, lazy: bool = False):
    def decorate(impl):
        REGISTRY[name.lower()] = Function(name, min_args, min_args if max_args == -1 else max_args, impl, lazy)
        return impl

    return decorate


def lookup_function(name: str) -> Function | None:
    """The function registered under this name, any case, or None."""
    return REGISTRY.get(name.lower())


# ---- argument checks ---------------------------------------------------------------------------------------


def _set(fn: str, index: int, value):
    if value is NOT_SET:
        raise NotSetError(f"{fn}: argument {index} is NOT_SET, which {fn} does not allow")
    return value


def _string(fn: str, index: int, value) -> str:
    _set(fn, index, value)
    if not isinstance(value, str):
        raise ExpressionError(f"{fn}: argument {index} must be a String, not {type_name(value)}")
    return value


def _integer(fn: str, index: int, value) -> int:
    _set(fn, index, value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExpressionError(f"{fn}: argument {index} must be an Integer, not {type_name(value)}")
    return value


def _number(fn: str, index: int, value):
    _set(fn, index, value)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ExpressionError(f"{fn}: argument {index} must be a number, not {type_name(value)}")
    return value


def _boolean(fn: str, index: int, value) -> bool:
    _set(fn, index, value)
    if not isinstance(value, bool):
        raise ExpressionError(f"{fn}: argument {index} must be a Boolean, not {type_name(value)}")
    return value


def _collection(fn: str, index: int, value) -> list:
    if not isinstance(value, list):
        raise ExpressionError(f"{fn}: argument {index} must be a collection, not {type_name(value)}")
    return value


def _datetime(fn: str, index: int, value) -> dt.datetime:
    _set(fn, index, value)
    if not isinstance(value, dt.datetime):
        raise ExpressionError(f"{fn}: argument {index} must be a DateTime, not {type_name(value)}")
    return value


def _audio(fn: str, index: int, value) -> Audio:
    _set(fn, index, value)
    if isinstance(value, Prompt):
        return Audio((("prompt", value.name),))
    if not isinstance(value, Audio):
        raise ExpressionError(f"{fn}: argument {index} must be Audio, not {type_name(value)}")
    return value


# ---- type conversion [NOTSET] [CAST]: a NOT_SET argument gives a NOT_SET result of the target type ------------


@_register("ToString", 1)
def to_string(ctx, value):
    if value is NOT_SET:
        return NOT_SET
    if isinstance(value, (list, Audio, Prompt, dict)):
        raise ExpressionError(f"ToString: cannot convert a {type_name(value)}")
    return to_architect_string(value)


_INTEGER_TEXT = re.compile(r"^\s*[+-]?[0-9]+\s*$")
_DECIMAL_TEXT = re.compile(r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$")


@_register("ToInt", 1)
def to_int(ctx, value):
    if value is NOT_SET:
        return NOT_SET
    if isinstance(value, bool):
        raise ExpressionError("ToInt: cannot convert a Boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        # chosen: truncation toward zero (ToInt(Task.intSeconds/60) in [REF] reads as whole minutes).
        return int(value)
    if isinstance(value, str):
        if not _INTEGER_TEXT.match(value):
            raise EvaluationError(f"ToInt: {value!r} is not an integer")
        return int(value)
    raise ExpressionError(f"ToInt: cannot convert a {type_name(value)}")


@_register("ToDecimal", 1)
def to_decimal(ctx, value):
    if value is NOT_SET:
        return NOT_SET
    if isinstance(value, bool):
        raise ExpressionError("ToDecimal: cannot convert a Boolean")
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.match(value):
            raise EvaluationError(f"ToDecimal: {value!r} is not a decimal")
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise EvaluationError(f"ToDecimal: {value!r} is not a decimal") from None
    raise ExpressionError(f"ToDecimal: cannot convert a {type_name(value)}")


@_register("ToBool", 1)
def to_bool(ctx, value):
    if value is NOT_SET:
        return NOT_SET
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        # chosen: only the literal spellings (any case) convert; anything else is a runtime failure.
        folded = value.strip().lower()
        if folded in ("true", "false"):
            return folded == "true"
        raise EvaluationError(f"ToBool: {value!r} is not true or false")
    raise ExpressionError(f"ToBool: cannot convert a {type_name(value)}")


@_register("ToDateTime", 1)
def to_datetime(ctx, value):
    if value is NOT_SET:
        return NOT_SET
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value)
    raise ExpressionError(f"ToDateTime: cannot convert a {type_name(value)}")


@_register("ToPhoneNumber", 1)
def to_phone_number(ctx, value):
    if value is NOT_SET:
        return NOT_SET
    if isinstance(value, PhoneNumber):
        return value
    if isinstance(value, str):
        return parse_phone_number(value)
    raise ExpressionError(f"ToPhoneNumber: cannot convert a {type_name(value)}")


# ---- logic and NOT_SET tests ---------------------------------------------------------------------------------


@_register("If", 3, lazy=True)
def if_(ctx, condition, when_true, when_false):
    # Only the chosen branch is evaluated, so If(IsSet(x), x, 0) guards a NOT_SET x ([NOTSET] shows this idiom).
    chosen = _boolean("If", 1, condition())
    return when_true() if chosen else when_false()


@_register("IsSet", 1)
def is_set(ctx, value):
    return value is not NOT_SET


@_register("IsNotSetOrEmpty", 1)
def is_not_set_or_empty(ctx, value):
    if value is NOT_SET:
        return True
    if isinstance(value, (str, list)):
        return len(value) == 0
    return False


# ---- strings (case-sensitive, ordinal; chosen, as flows lower-case before Contains: contains(Lower(...))) --------


@_register("ToDisplayString", 1)
def to_display_string(ctx, value):
    # EmailComprehendFlow.yaml (cx-as-code-cicd-gitactions-blueprint) shows a queue with ToDisplayString(queue);
    # chosen: an object with a name (a queue) shows its name, NOT_SET shows as "", anything else as ToString.
    if value is NOT_SET:
        return ""
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"]
    return to_architect_string(value)


@_register("Lower", 1)
def lower(ctx, value):
    return _string("Lower", 1, value).lower()


@_register("Upper", 1)
def upper(ctx, value):
    return _string("Upper", 1, value).upper()


@_register("Trim", 1)
def trim(ctx, value):
    return _string("Trim", 1, value).strip()


@_register("Length", 1)
def length(ctx, value):
    return len(_string("Length", 1, value))


@_register("Replace", 3)
def replace(ctx, text, old, new):
    text = _string("Replace", 1, text)
    old = _string("Replace", 2, old)
    new = _string("Replace", 3, new)
    if old == "":
        return text
    return text.replace(old, new)


@_register("Contains", 2)
def contains(ctx, haystack, needle):
    if isinstance(haystack, list):
        return any(_same(item, needle) for item in haystack)
    return _string("Contains", 2, needle) in _string("Contains", 1, haystack)


@_register("FindString", 2)
def find_string(ctx, text, needle):
    # 0-based index of the first occurrence, -1 when absent (same convention as FindFirst).
    return _string("FindString", 1, text).find(_string("FindString", 2, needle))


def _count(fn: str, value) -> int:
    count = _integer(fn, 2, value)
    if count < 0:
        raise EvaluationError(f"{fn}: count {count} is negative")
    return count


@_register("Left", 2)
def left(ctx, text, count):
    # chosen (Excel-like): a count past the end gives the whole string.
    text = _string("Left", 1, text)
    return text[: _count("Left", count)]


@_register("Right", 2)
def right(ctx, text, count):
    text = _string("Right", 1, text)
    count = _count("Right", count)
    return text[len(text) - count:] if count < len(text) else text


@_register("Substring", 3)
def substring(ctx, text, start, count):
    # 0-based start [SECURE]; chosen: a length past the end stops at the end, a start past the end is a failure.
    text = _string("Substring", 1, text)
    start = _integer("Substring", 2, start)
    count = _integer("Substring", 3, count)
    if start < 0 or start > len(text):
        raise EvaluationError(f"Substring: start {start} is outside a string of length {len(text)}")
    if count < 0:
        raise EvaluationError(f"Substring: length {count} is negative")
    return text[start:start + count]


@_register("Append", 1, None)
def append(ctx, *values):
    # Strings concatenate ([PHONE] Append("tel: +", ..., Flow.CustomerInput)); audio joins ([REF]); a collection
    # followed by items gives a new collection with the items added.
    first = values[0]
    if isinstance(first, list):
        return list(first) + [_set("Append", i, v) for i, v in enumerate(values[1:], 2)]
    if isinstance(first, (Audio, Prompt)):
        parts = []
        for index, value in enumerate(values, 1):
            parts.extend(_audio("Append", index, value).parts)
        return Audio(tuple(parts))
    return "".join(_string("Append", index, value) for index, value in enumerate(values, 1))


# ---- collections --------------------------------------------------------------------------------------------


def _same(left, right) -> bool:
    if left is NOT_SET or right is NOT_SET:
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return left == right


@_register("Count", 1)
def count(ctx, collection):
    return len(_collection("Count", 1, collection))


@_register("FindFirst", 2)
def find_first(ctx, collection, value):
    for index, item in enumerate(_collection("FindFirst", 1, collection)):
        if _same(item, value):
            return index
    return -1


@_register("GetAt", 2)
def get_at(ctx, collection, index):
    collection = _collection("GetAt", 1, collection)
    index = _integer("GetAt", 2, index)
    if not 0 <= index < len(collection):
        raise EvaluationError(f"GetAt: index {index} is outside a collection of {len(collection)} items")
    return collection[index]


@_register("MakeList", 1, None)
def make_list(ctx, *values):
    return list(values)


@_register("Sum", 1)
def sum_(ctx, collection):
    total = 0
    for index, item in enumerate(_collection("Sum", 1, collection)):
        total += _number("Sum", 1, item)
    return total


# ---- date and time (Architect works in UTC) ---------------------------------------------------------------------


@_register("GetCurrentDateTimeUtc", 0)
def get_current_datetime_utc(ctx):
    return ctx.now()


@_register("DateTimeDiff", 2)
def datetime_diff(ctx, later, earlier):
    # DateTimeDiff(a, b) is the Duration a - b: [REF] compares DateTimeDiff(now, cachedTime) >= a cache duration.
    return _datetime("DateTimeDiff", 1, later) - _datetime("DateTimeDiff", 2, earlier)


def _adder(fn: str, unit: str):
    def add(ctx, moment, amount):
        moment = _datetime(fn, 1, moment)
        try:
            return moment + dt.timedelta(**{unit: _integer(fn, 2, amount)})
        except OverflowError:
            raise EvaluationError(f"{fn}: the result is outside the DateTime range") from None

    _register(fn, 2)(add)


_adder("AddSeconds", "seconds")
_adder("AddMinutes", "minutes")
_adder("AddHours", "hours")
_adder("AddDays", "days")


# ---- durations ---------------------------------------------------------------------------------------------------
# [DUR] MakeDuration(days, hours, minutes, seconds) as real flows call it (GenesysCloudBlueprints/automated-callback-
#       blueprint, "Proactive callback offer.yaml": MakeDuration(0, 0, 0, Task.intSeconds)); a fifth argument,
#       milliseconds, is accepted (chosen). ToDuration converts a duration's text (ISO 8601, P1DT2H3M4S) back.


def _duration(fn: str, index: int, value) -> dt.timedelta:
    _set(fn, index, value)
    if not isinstance(value, dt.timedelta):
        raise ExpressionError(f"{fn}: argument {index} must be a Duration, got {type_name(value)}")
    return value


@_register("MakeDuration", 4, 5)
def make_duration(ctx, days, hours, minutes, seconds, milliseconds=0):
    parts = [_integer("MakeDuration", index, value)
             for index, value in enumerate((days, hours, minutes, seconds, milliseconds), 1)]
    try:
        return dt.timedelta(days=parts[0], hours=parts[1], minutes=parts[2], seconds=parts[3], milliseconds=parts[4])
    except OverflowError:
        raise EvaluationError("MakeDuration: the result is outside the Duration range") from None


_ISO_DURATION = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@_register("ToDuration", 1)
def to_duration(ctx, value):
    if isinstance(value, dt.timedelta):
        return value
    text = _string("ToDuration", 1, value).strip()
    match = _ISO_DURATION.match(text)
    if not match or text in ("P", "-P") or text.endswith("T"):
        raise EvaluationError(f"ToDuration: {text!r} is not a duration (ISO 8601, such as PT5M or P1DT2H)")
    sign, days, hours, minutes, seconds = match.groups()
    result = dt.timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                          seconds=float(seconds or 0))
    return -result if sign else result


# ---- schedule groups: objects named by the flow, their state told to the simulation ----------------------------


@_register("ToScheduleGroup", 1)
def to_schedule_group(ctx, value):
    # DR-Emergency-IVR.yaml (GenesysCloudBlueprints/dr-fallback-ivr) evaluates ToScheduleGroup(NOT_SET): no
    # schedule group. A schedule group value passes through; other conversions need a live org (chosen).
    if value is NOT_SET:
        return NOT_SET
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value
    raise UnsupportedError(f"ToScheduleGroup of a {type_name(value)} needs the org's schedule groups; give the "
                           "group by name (lit: {name: ...})")


# ---- audio: recorded, never played -----------------------------------------------------------------------------


@_register("ToAudioDuration", 1)
def to_audio_duration(ctx, value):
    # Reads a Duration aloud ("Your estimated wait time is approximately" + ToAudioDuration(...), automated-callback
    # blueprint); recorded as the duration's text.
    return Audio((("duration", to_architect_string(_duration("ToAudioDuration", 1, value))),))


@_register("ToAudioTTS", 1)
def to_audio_tts(ctx, text):
    return Audio((("tts", _string("ToAudioTTS", 1, text)),))


@_register("ToAudioBlank", 1)
def to_audio_blank(ctx, milliseconds):
    milliseconds = _integer("ToAudioBlank", 1, milliseconds)
    if milliseconds < 0:
        raise EvaluationError(f"ToAudioBlank: {milliseconds} ms is negative")
    return Audio((("blank", milliseconds),))


@_register("ToAudio", 1)
def to_audio(ctx, value):
    return _audio("ToAudio", 1, value)


@_register("AudioPlaybackOptions", 2)
def audio_playback_options(ctx, audio, barge_in):
    # AudioPlaybackOptions(ToAudioBlank(100), true) in real flows: the audio plus whether callers may barge in.
    return Audio(_audio("AudioPlaybackOptions", 1, audio).parts, _boolean("AudioPlaybackOptions", 2, barge_in))
