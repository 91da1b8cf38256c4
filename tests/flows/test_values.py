"""Architect values: coercion of JSON/YAML values to Architect types, ToString rendering, phone numbers."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from architect.runtime.flow.expressions import ExpressionError, compile_expression
from architect.runtime.flow.values import (
    NOT_SET,
    DictScope,
    EvaluationError,
    NotSetError,
    PhoneNumber,
    UnsupportedError,
    coerce,
    format_duration,
    parse_phone_number,
    to_architect_string,
)

COERCIONS = [
    ("abc", "string", "abc"),
    (5, "string", "5"),  # implicit cast of an integer result to a string
    (True, "String", "true"),
    (2.5, "string", "2.5"),
    (7, "integer", 7),
    (7.0, "integer", 7),
    (Decimal("8"), "integer", 8),
    (0.1, "decimal", Decimal("0.1")),
    (3, "decimal", Decimal("3")),
    (3, "number", Decimal("3")),
    (True, "boolean", True),
    (False, "Boolean", False),
    (None, "string", NOT_SET),
    (None, "integer", NOT_SET),
    (None, "stringCollection", []),
    (["a", "b"], "stringCollection", ["a", "b"]),
    ([1, 2], "integerCollection", [1, 2]),
    ([1.5], "decimalCollection", [Decimal("1.5")]),
    ([True, False], "booleanCollection", [True, False]),
    ({"minutes": 1}, "duration", dt.timedelta(minutes=1)),
    ({"ms": 100}, "duration", dt.timedelta(milliseconds=100)),
    ({"hours": 1, "seconds": 30}, "duration", dt.timedelta(hours=1, seconds=30)),
    ("2024-05-01T12:00:00Z", "dateTime", dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)),
]


@pytest.mark.parametrize(("value", "type_name", "expected"), COERCIONS, ids=[f"{c[0]!r}->{c[1]}" for c in COERCIONS])
def test_coerce(value, type_name, expected):
    result = coerce(value, type_name)
    assert result == expected if expected is not NOT_SET else result is NOT_SET
    assert type(result) is type(expected)


REFUSALS = [
    ("5", "integer", "not a number"),
    (True, "integer", "not a number"),
    (2.5, "integer", "it has a fraction"),
    ("1.5", "decimal", "not a number"),
    ("true", "boolean", "not true or false"),
    (1, "boolean", "not true or false"),
    ({"a": 1}, "string", "cannot use"),
    ("abc", "stringCollection", "not a list"),
    ([1, "two"], "integerCollection", "item 1"),
    ({"weeks": 1}, "duration", "bad part 'weeks'"),
    ("soon", "dateTime", "cannot convert 'soon' to a DateTime"),
    (float("nan"), "decimal", "not a finite number"),
]


@pytest.mark.parametrize(("value", "type_name", "reason"), REFUSALS, ids=[f"{c[0]!r}->{c[1]}" for c in REFUSALS])
def test_coerce_refuses_values_that_are_not_that_type(value, type_name, reason):
    with pytest.raises(ExpressionError, match=reason):
        coerce(value, type_name)


def test_coerce_unknown_type_is_unsupported():
    with pytest.raises(UnsupportedError, match="unsupported Architect type 'currency'"):
        coerce(1, "currency")


RENDERINGS = [
    ("x", "x"),
    (True, "true"),
    (False, "false"),
    (-12, "-12"),
    (Decimal("2.50"), "2.5"),
    (Decimal("100"), "100"),
    (Decimal("1E+2"), "100"),
    (Decimal("0.000"), "0"),
    (Decimal("-0.25"), "-0.25"),
    (dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc), "2024-01-02T03:04:05.678Z"),
    (dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2024-01-02T03:04:05.000Z"),
]


@pytest.mark.parametrize(("value", "text"), RENDERINGS, ids=[repr(c[0]) for c in RENDERINGS])
def test_to_architect_string(value, text):
    assert to_architect_string(value) == text


def test_to_architect_string_of_not_set_raises():
    with pytest.raises(NotSetError, match="no string form"):
        to_architect_string(NOT_SET)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(minutes=5), "PT5M"),
        (dt.timedelta(days=1, hours=2), "P1DT2H"),
        (dt.timedelta(seconds=1.5), "PT1.5S"),
        (dt.timedelta(0), "PT0S"),
        (-dt.timedelta(minutes=1), "-PT1M"),
    ],
)
def test_duration_renders_as_iso_8601(value, text):
    assert format_duration(value) == text


PHONES = [
    # raw, scheme, uri, e164, dialing code, subscriber number
    ("tel:+13175550116", "tel", "tel:+13175550116", "+13175550116", "1", "3175550116"),
    ("tel: +13175550116", "tel", "tel:+13175550116", "+13175550116", "1", "3175550116"),
    ("TEL:+442071838750", "tel", "tel:+442071838750", "+442071838750", "44", "2071838750"),
    ("tel:+49-30-1234567", "tel", "tel:+49301234567", "+49301234567", "49", "301234567"),
    ("+33142685300", "tel", "tel:+33142685300", "+33142685300", "33", "142685300"),
    ("tel:5550116", "tel", "tel:5550116", NOT_SET, NOT_SET, NOT_SET),
    ("sip:+13175550116@10.0.0.1;user=phone", "sip", "sip:+13175550116@10.0.0.1;user=phone", NOT_SET, NOT_SET, NOT_SET),
    ("sips:alice@example.com", "sip", "sips:alice@example.com", NOT_SET, NOT_SET, NOT_SET),
]


@pytest.mark.parametrize(("raw", "scheme", "uri", "e164", "code", "subscriber"), PHONES, ids=[p[0] for p in PHONES])
def test_phone_number_properties(raw, scheme, uri, e164, code, subscriber):
    number = parse_phone_number(raw)
    assert isinstance(number, PhoneNumber)
    assert (number.scheme, number.uri) == (scheme, uri)
    for actual, expected in ((number.e164, e164), (number.dialing_code, code), (number.subscriber_number, subscriber)):
        assert actual == expected if expected is not NOT_SET else actual is NOT_SET


@pytest.mark.parametrize("raw", ["hello", "", "tel:", "mailto:a@b.c", "3175550116"])
def test_phone_number_needs_a_scheme_or_a_global_number(raw):
    with pytest.raises(EvaluationError, match="to a PhoneNumber"):
        parse_phone_number(raw)


def test_dict_scope_is_case_insensitive_and_names_unknown_variables():
    scope = DictScope({"Task.Tier": "gold"})
    assert scope.lookup("task.TIER") == "gold"
    with pytest.raises(ExpressionError, match="unknown variable Task.other"):
        scope.lookup("Task.other")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('TaskFlow.x "\\()[],+-*/<>=!0123456789 andornotNOT_SETIf')), max_size=40))
def test_any_text_either_parses_or_raises_expression_error(text):
    # No other exception type may escape the parser (the runner turns ExpressionError into a located flow error).
    try:
        compile_expression(text)
    except ExpressionError:
        pass


_FUZZ_SCOPE = DictScope(
    {"Task.s": "abc", "Task.n": 3, "Task.d": Decimal("1.5"), "Task.b": True, "Task.u": NOT_SET, "Task.l": [1, 2]},
    now=dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc),
)
_FUZZ_LEAVES = ["Task.s", "Task.n", "Task.d", "Task.b", "Task.u", "Task.l", "NOT_SET", "true", "1", "0", "-1", "2.5",
                '"x"', '""', '"tel:+13175550116"', '"2024-01-01T00:00:00Z"', "99999999999", "GetCurrentDateTimeUtc()"]
_FUZZ_FUNCTIONS = ["ToString", "ToInt", "ToDecimal", "ToBool", "ToDateTime", "ToPhoneNumber", "If", "IsSet",
                   "IsNotSetOrEmpty", "Left", "Right", "Substring", "Replace", "Contains", "GetAt", "FindFirst",
                   "Count", "Append", "MakeList", "Sum", "AddDays", "DateTimeDiff", "ToAudioBlank", "Lower",
                   "FindString"]
_FUZZ_OPERATORS = ["+", "-", "*", "/", "==", "!=", "<", ">=", "and", "or"]


def _fuzz_expressions():
    def extend(inner):
        call = st.tuples(st.sampled_from(_FUZZ_FUNCTIONS), st.lists(inner, min_size=0, max_size=3)).map(
            lambda parts: f"{parts[0]}({', '.join(parts[1])})"
        )
        binary = st.tuples(inner, st.sampled_from(_FUZZ_OPERATORS), inner).map(lambda p: f"({p[0]} {p[1]} {p[2]})")
        unary = inner.map(lambda e: f"not {e}") | inner.map(lambda e: f"-{e}")
        postfix = inner.map(lambda e: f"{e}.e164") | st.tuples(inner, inner).map(lambda p: f"{p[0]}[{p[1]}]")
        return call | binary | unary | postfix

    return st.recursive(st.sampled_from(_FUZZ_LEAVES), extend, max_leaves=8)


@settings(max_examples=500, deadline=None)
@given(_fuzz_expressions())
def test_any_expression_evaluates_or_raises_expression_error(text):
    # Whatever an expression does at runtime, only ExpressionError (and its subclasses) may come out of it.
    try:
        compile_expression(text).evaluate(_FUZZ_SCOPE)
    except ExpressionError:
        pass
