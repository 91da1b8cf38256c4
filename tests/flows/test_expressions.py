"""Architect expressions: literals, operators, functions, NOT_SET, errors, and every expression in real flows."""

import datetime as dt
import pathlib
from decimal import Decimal

import pytest
import yaml

from architect.runtime.flow.expressions import (
    NOT_SET,
    Audio,
    DictScope,
    EvaluationError,
    ExpressionError,
    NotSetError,
    PhoneNumber,
    Prompt,
    UnsupportedError,
    compile_expression,
    evaluate,
)

REPO = pathlib.Path(__file__).resolve().parents[2]
# Copies of public Genesys flow exports (provenance in tests/architect/genesys-examples/SOURCES.md).
EXAMPLES = REPO / "tests" / "architect" / "genesys-examples" / "flows"

SCOPE = DictScope(
    {
        "Task.tier": "platinum",
        "Task.vip": False,
        "Task.count": 3,
        "Task.ratio": Decimal("2.5"),
        "Task.name": "Ada Lovelace",
        "Task.empty": "",
        "Task.unset": NOT_SET,
        "Task.unsetInt": NOT_SET,
        "Task.unsetBool": NOT_SET,
        "Task.codes": ["A", "B", "C"],
        "Task.none": [],
        "Task.numbers": [10, 20, 30],
        "Task.Queue": {"id": "6f9c0d2e-queue", "name": "VIP Support"},
        "Call.Ani": "tel:+13175550116",
        "Flow.ani": "tel: +442071838750",
        "Task.sipAni": "sip:+13175550116@10.0.0.1;user=phone",
    },
    now=dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc),
)

# Expected values written by hand from Architect's documented behaviour (sources in functions.py / docs).
CASES = [
    # literals
    ('"hello"', "hello"),
    ('"say \\"hi\\""', 'say "hi"'),
    ('"back\\\\slash"', "back\\slash"),
    ('"two\nlines\tand tab"', "two\nlines\tand tab"),
    ("42", 42),
    ("3.25", Decimal("3.25")),
    ("true", True),
    ("FALSE", False),
    ("NOT_SET", NOT_SET),
    # arithmetic and precedence
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),
    ("-2 + 5", 3),
    ("- -2", 2),
    ("7 / 2", Decimal("3.5")),
    ("6 / 3", Decimal("2")),
    ("1.5 + 1", Decimal("2.5")),
    ("Task.count * Task.ratio", Decimal("7.5")),
    # strings
    ('"a" + "b" + "c"', "abc"),
    ('"tier: " + Task.tier', "tier: platinum"),
    ('"abc" < "abd"', True),
    # comparisons
    ("Task.count > 2", True),
    ("Task.count >= 3", True),
    ("Task.count < 3", False),
    ("Task.count <= 2.9", False),
    ("3 == 3.0", True),
    ('Task.tier == "platinum"', True),
    ('Task.tier == "Platinum"', False),
    ('Task.tier != "gold"', True),
    ("true == false", False),
    # logic: not binds tighter than and, and tighter than or
    ("true or false and false", True),
    ("(true or false) and false", False),
    ("not false and false", False),
    ("not (false and false)", True),
    ('Task.vip or (Task.tier == "platinum")', True),
    ("Task.count > 1 and Task.count < 5", True),
    # NOT_SET comparisons and tests
    ("Task.unset == NOT_SET", True),
    ("Task.tier == NOT_SET", False),
    ("Task.unset != NOT_SET", False),
    ('ToString(NOT_SET) == ""', False),
    ("IsSet(Task.unset)", False),
    ("IsSet(Task.empty)", True),
    ("IsNotSetOrEmpty(Task.unset)", True),
    ("IsNotSetOrEmpty(Task.empty)", True),
    ("IsNotSetOrEmpty(Task.tier)", False),
    ("IsNotSetOrEmpty(Task.none)", True),
    ("5 + If(IsSet(Task.unsetInt), Task.unsetInt, 0)", 5),
    # conversions
    ("ToString(5)", "5"),
    ("ToString(3 + 4)", "7"),
    ("ToString(true)", "true"),
    ("ToString(false)", "false"),
    ("ToString(2.50)", "2.5"),
    ("ToString(NOT_SET)", NOT_SET),
    ('ToInt("42")', 42),
    ('ToInt(" -7 ")', -7),
    ("ToInt(150 / 60)", 2),
    ("ToInt(NOT_SET)", NOT_SET),
    ('ToDecimal("2.75")', Decimal("2.75")),
    ("ToDecimal(3)", Decimal("3")),
    ('ToBool("TRUE")', True),
    ('ToBool("false")', False),
    # string functions
    ('Replace(Call.Ani, "tel:", "")', "+13175550116"),
    ('Replace("a-b-c", "-", "")', "abc"),
    ('Contains(Lower(Task.name), "ada")', True),
    ('Contains(Task.name, "ada")', False),
    ("Lower(Task.name)", "ada lovelace"),
    ("Upper(Task.tier)", "PLATINUM"),
    ('Trim("  x y  ")', "x y"),
    ("Left(Task.name, 3)", "Ada"),
    ("Left(Task.name, 50)", "Ada Lovelace"),
    ("Left(Task.name, 0)", ""),
    ("Right(Call.Ani, 12)", "+13175550116"),
    ("Right(Task.tier, 100)", "platinum"),
    ("right(call.ani, 4)", "0116"),
    ("Substring(Task.name, 0, 3)", "Ada"),
    ("Substring(Task.name, 4, 4)", "Love"),
    ("Substring(Task.name, 4, 100)", "Lovelace"),
    ('FindString(Task.name, "Love")', 4),
    ('FindString(Task.name, "zzz")', -1),
    ("Length(Task.tier)", 8),
    ('Append("tel: +", "44", "2071838750")', "tel: +442071838750"),
    # collections
    ("Count(Task.codes)", 3),
    ("Count(Task.none)", 0),
    ('FindFirst(Task.codes, "B")', 1),
    ('FindFirst(Task.codes, "b")', -1),
    ("GetAt(Task.numbers, 2)", 30),
    ("Task.numbers[0]", 10),
    ('Contains(Task.codes, "C")', True),
    ("Count(MakeList(1, 2))", 2),
    ('Count(Append(Task.codes, "D"))', 4),
    ("Sum(Task.numbers)", 60),
    ('If(FindFirst(Task.codes, "C") >= 0, GetAt(Task.numbers, FindFirst(Task.codes, "C")), 0)', 30),
    # If is lazy: the untaken branch would fail (GetAt out of range)
    ("If(true, 1, GetAt(Task.numbers, 99))", 1),
    ("If(false, GetAt(Task.numbers, 99), 2)", 2),
    # property access
    ("Task.Queue.id", "6f9c0d2e-queue"),
    ("Task.QUEUE.Name", "VIP Support"),
    # phone numbers
    ("ToPhoneNumber(Call.Ani).e164", "+13175550116"),
    ("ToPhoneNumber(flow.ANI).e164", "+442071838750"),
    ("ToPhoneNumber(Flow.ani).dialingCode", "44"),
    ("ToPhoneNumber(Flow.ani).subscriberNumber", "2071838750"),
    ("ToPhoneNumber(Call.Ani).isTel", True),
    ("ToPhoneNumber(Task.sipAni).isSip", True),
    ("ToPhoneNumber(Task.sipAni).e164 == NOT_SET", True),
    ("ToPhoneNumber(Task.sipAni).uri", "sip:+13175550116@10.0.0.1;user=phone"),
    ('ToPhoneNumber("tel:+1 (317) 555-0116").e164', "+13175550116"),
    ('ToPhoneNumber("tel:5550116").e164 == NOT_SET', True),
    ('ToPhoneNumber(Call.Ani) == ToPhoneNumber("tel: +13175550116")', True),
    # date and time
    ("ToString(GetCurrentDateTimeUtc())", "2024-05-01T12:00:00.000Z"),
    (
        'DateTimeDiff(GetCurrentDateTimeUtc(), ToDateTime("2024-05-01T11:30:00.000Z"))'
        ' > ToDateTime("2024-05-01T11:30:00Z") - ToDateTime("2024-05-01T11:05:00Z")',
        True,
    ),
    ('ToString(AddHours(ToDateTime("2024-05-01T23:00:00Z"), 2))', "2024-05-02T01:00:00.000Z"),
    ('ToDateTime("2024-05-01T14:00:00+02:00") == GetCurrentDateTimeUtc()', True),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expression_value(text, expected):
    result = evaluate(text, SCOPE)
    assert result == expected if expected is not NOT_SET else result is NOT_SET
    # A bool must not pass for an int (True == 1 in Python) and vice versa.
    assert type(result) is type(expected)


def test_audio_functions_record_what_would_play():
    assert evaluate("AudioPlaybackOptions(ToAudioBlank(100), true)", SCOPE) == Audio((("blank", 100),), True)
    assert evaluate('Append(ToAudioBlank(500), ToAudioTTS("Welcome"))', SCOPE) == Audio(
        (("blank", 500), ("tts", "Welcome"))
    )
    hold = DictScope({"Flow.HoldPrompt": Prompt("PromptSystem.on_hold_music")})
    assert evaluate("ToAudio(Flow.HoldPrompt)", hold) == Audio((("prompt", "PromptSystem.on_hold_music"),))


def test_phone_number_value_keeps_the_raw_text():
    number = evaluate("ToPhoneNumber(Call.Ani)", SCOPE)
    assert isinstance(number, PhoneNumber)
    assert number.raw == "tel:+13175550116"
    assert number.uri == "tel:+13175550116"


# ---- NOT_SET where Architect fails at runtime (goes to the flow's error handling) ---------------------------------

NOT_SET_FAILURES = [
    ("5 + Task.unsetInt", "'+' cannot use a NOT_SET operand"),
    ('"a" + Task.unset', "'+' cannot use a NOT_SET operand"),
    ("Task.unsetInt > 0", "'>' cannot compare NOT_SET"),
    ("Task.unsetBool and true", "'and' needs a Boolean, got NOT_SET"),
    ("not Task.unsetBool", "'not' needs a Boolean, got NOT_SET"),
    ("If(Task.unsetBool, 1, 2)", "If: argument 1 is NOT_SET"),
    ("Lower(Task.unset)", "Lower: argument 1 is NOT_SET"),
    ("Replace(Task.unset, \"a\", \"b\")", "Replace: argument 1 is NOT_SET"),
    ("Left(Task.unset, 2)", "Left: argument 1 is NOT_SET"),
    ("ToPhoneNumber(Task.unset).e164", "cannot read property e164 of NOT_SET"),
    ("-Task.unsetInt", "cannot negate NOT_SET"),
]


@pytest.mark.parametrize(("text", "reason"), NOT_SET_FAILURES, ids=[c[0] for c in NOT_SET_FAILURES])
def test_reading_not_set_where_architect_fails_raises_not_set_error(text, reason):
    with pytest.raises(NotSetError) as caught:
        evaluate(text, SCOPE)
    assert reason in str(caught.value)
    assert caught.value.expression == text
    assert repr(text) in str(caught.value)


def test_not_set_has_no_python_truth_value():
    with pytest.raises(TypeError):
        bool(NOT_SET)


# ---- runtime failures other than NOT_SET ---------------------------------------------------------------------------

RUNTIME_FAILURES = [
    ('ToInt("abc")', "ToInt: 'abc' is not an integer"),
    ('ToInt("4.5")', "ToInt: '4.5' is not an integer"),
    ('ToDecimal("1,5")', "ToDecimal: '1,5' is not a decimal"),
    ('ToBool("yes")', "ToBool: 'yes' is not true or false"),
    ("GetAt(Task.numbers, 3)", "GetAt: index 3 is outside a collection of 3 items"),
    ("GetAt(Task.numbers, -1)", "GetAt: index -1 is outside a collection of 3 items"),
    ("Task.numbers[5]", "index 5 is outside a collection of 3 items"),
    ("Substring(Task.tier, 9, 1)", "Substring: start 9 is outside a string of length 8"),
    ("Left(Task.tier, -1)", "Left: count -1 is negative"),
    ("1 / 0", "division by zero"),
    ('ToPhoneNumber("hello")', "cannot convert 'hello' to a PhoneNumber"),
    ('ToDateTime("yesterday")', "cannot convert 'yesterday' to a DateTime"),
]


@pytest.mark.parametrize(("text", "reason"), RUNTIME_FAILURES, ids=[c[0] for c in RUNTIME_FAILURES])
def test_runtime_failure_raises_evaluation_error_naming_the_expression(text, reason):
    with pytest.raises(EvaluationError) as caught:
        evaluate(text, SCOPE)
    assert reason in str(caught.value)
    assert caught.value.expression == text
    assert not isinstance(caught.value, NotSetError)


TYPE_ERRORS = [
    ('"n = " + 5', "cannot apply + to String and Integer; wrap the non-string side in ToString()"),
    ('Task.count == "3"', "cannot compare Integer == String"),
    ("Task.count and true", "'and' needs a Boolean, not Integer"),
    ("If(1, 2, 3)", "If: argument 1 must be a Boolean, not Integer"),
    ("Lower(5)", "Lower: argument 1 must be a String, not Integer"),
    ('Count("abc")', "Count: argument 1 must be a collection, not String"),
    ('"abc" > 1', "cannot compare String > Integer"),
]


@pytest.mark.parametrize(("text", "reason"), TYPE_ERRORS, ids=[c[0] for c in TYPE_ERRORS])
def test_type_mismatch_is_an_expression_error(text, reason):
    with pytest.raises(ExpressionError) as caught:
        evaluate(text, SCOPE)
    assert reason in str(caught.value)
    assert not isinstance(caught.value, (NotSetError, UnsupportedError))


# ---- unsupported functions and properties: named, never skipped ----------------------------------------------------


def test_unknown_function_parses_but_evaluating_it_names_it():
    expression = compile_expression('FindQueueById("abc") == NOT_SET')
    assert expression.unsupported_functions() == ("FindQueueById",)
    with pytest.raises(UnsupportedError) as caught:
        expression.evaluate(SCOPE)
    assert "unsupported function FindQueueById" in str(caught.value)
    assert "at position 0" in str(caught.value)


def test_unknown_function_in_an_untaken_if_branch_does_not_run():
    assert evaluate("If(true, 1, Frobnicate(2))", SCOPE) == 1


def test_unknown_property_is_unsupported():
    with pytest.raises(UnsupportedError, match="unsupported PhoneNumber property carrier"):
        evaluate("ToPhoneNumber(Call.Ani).carrier", SCOPE)
    with pytest.raises(UnsupportedError, match="unsupported property colour of this object"):
        evaluate("Task.Queue.colour", SCOPE)
    with pytest.raises(UnsupportedError, match="unsupported property length of a String"):
        evaluate("Task.tier.length", SCOPE)


def test_unknown_variable_error_from_the_scope_names_the_expression():
    with pytest.raises(ExpressionError) as caught:
        evaluate('Task.nope == "x"', SCOPE)
    assert "unknown variable Task.nope" in str(caught.value)
    assert caught.value.position == 0


# ---- syntax errors with positions ----------------------------------------------------------------------------------

SYNTAX_ERRORS = [
    ("", "empty expression", 0),
    ("   ", "empty expression", 0),
    ("Task.tier ==", "expected a value, found end of expression", 12),
    ('"abc', "unterminated string literal", 0),
    ('Task.tier = "x"', "unexpected character '=' (use == to compare)", 10),
    ("(1 + 2", "expected ')', found end of expression", 6),
    ("1 + 2)", "unexpected token, found ')'", 5),
    ("ToString(1, 2)", "ToString takes 1 argument(s), got 2", 0),
    ("If(true, 1)", "If takes 3 argument(s), got 2", 0),
    ("tier", "unknown name tier", 0),
    ("1 < 2 < 3", "comparisons cannot be chained", 6),
    ("Task.tier.Lower()", "methods are not supported", 10),
    ("12abc", "malformed number", 0),
    ("1 # 2", "unexpected character '#'", 2),
    ("Task.", "expected a variable name after '.', found end of expression", 5),
    ("Lower(,)", "expected a value, found ','", 6),
]


@pytest.mark.parametrize(("text", "reason", "position"), SYNTAX_ERRORS, ids=[c[0] or "<empty>" for c in SYNTAX_ERRORS])
def test_syntax_error_names_the_position(text, reason, position):
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    assert reason in str(caught.value)
    assert caught.value.position == position
    assert f"at position {position}" in str(caught.value)
    assert not isinstance(caught.value, (EvaluationError, UnsupportedError))


def test_non_text_expression_is_refused():
    with pytest.raises(ExpressionError, match="must be text"):
        compile_expression(42)


# ---- API: caching, variables ---------------------------------------------------------------------------------------


def test_compile_is_cached_by_text():
    assert compile_expression("Task.count + 1") is compile_expression("Task.count + 1")


def test_variables_lists_every_variable_read():
    expression = compile_expression(
        'If(FindFirst(Task.StatusList, "IDLE") >= 0, GetAt(Task.QueueCounts, 0), 0) + ToInt(Task.Queue.id)'
    )
    assert expression.variables() == {"Task.StatusList", "Task.QueueCounts", "Task.Queue"}


def test_function_names_are_case_insensitive():
    assert evaluate('contains(lower("ABC"), "b")', SCOPE) is True
    assert evaluate('TOSTRING(1)', SCOPE) == "1"


# ---- every expression in the real flows parses and evaluates --------------------------------------------------------


def _expressions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "exp":
                yield value
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item)


FLOW_FILES = sorted(EXAMPLES.glob("*.yaml")) + sorted((REPO / "architect" / "flows").glob("*.yaml"))
REAL_EXPRESSIONS = sorted({exp for path in FLOW_FILES for exp in _expressions(yaml.safe_load(path.read_text()))})

# Values the flows' variables would hold on a call (types as the flows declare them).
FLOW_SCOPE = DictScope(
    {
        "Call.Ani": "tel:+13175550116",
        "Call.ConversationId": "3c1e7a52-0d2b-4a43-9a8e-1f7b8f0c2d11",
        "Call.RemoteName": "Ada Lovelace",
        "Flow.HoldPrompt": Prompt("PromptSystem.on_hold_music"),
        "Task.AgentsIdle": True,
        "Task.CacheDuration": dt.timedelta(minutes=5),
        "Task.CacheUpdated": "2024-05-01T11:50:00.000Z",
        "Task.LookupResult": "update",
        "Task.NumIdle": 2,
        "Task.Queue": {"id": "6f9c0d2e-queue", "name": "Support"},
        "Task.QueueCounts": [1, 2, 0],
        "Task.StatusList": ["BUSY", "IDLE", "OFFLINE"],
        "Task.cardNumber": "4111111111111111",
        "Task.customerId": "C-1001",
        "Task.ddSpanId": "1234",
        "Task.ddTraceId": "5678",
        "Task.degraded": False,
        "Task.delay": "30",
        "Task.displayName": "Ada Lovelace",
        "Task.found": True,
        "Task.openCases": 2,
        "Task.paymentId": "pay-1",
        "Task.preferredLanguage": "en-US",
        "Task.priority": 80,
        "Task.segment": "enterprise",
        "Task.source": "sqlite",
        "Task.tier": "platinum",
        "Task.traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "Task.vip": True,
    },
    now=dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc),
)


def test_real_flows_contain_expressions():
    assert len(FLOW_FILES) >= 7
    assert len(REAL_EXPRESSIONS) >= 30


@pytest.mark.parametrize("text", REAL_EXPRESSIONS)
def test_every_real_flow_expression_parses_and_evaluates(text):
    expression = compile_expression(text)
    assert expression.unsupported_functions() == ()
    expression.evaluate(FLOW_SCOPE)


# Spot checks on the real expressions, with results worked out by hand.
REAL_RESULTS = [
    ('If(FindFirst(Task.StatusList, "IDLE") >= 0, GetAt(Task.QueueCounts, FindFirst(Task.StatusList, "IDLE")), 0)', 2),
    ("DateTimeDiff(GetCurrentDateTimeUtc(), ToDateTime(Task.CacheUpdated)) >= Task.CacheDuration", True),
    ('Task.LookupResult == "insert" or Task.LookupResult == "update"', True),
    ("ToString(Task.found)", "true"),
    ("ToString(Task.priority)", "80"),
    ("Task.vip or (Task.tier == \"platinum\")", True),
    (
        '"\\"Flow.delay\\": \\"" + Task.delay + "\\", \\"Flow.phone\\": \\"" + Replace(Call.Ani, "tel:", "")'
        ' + "\\", \\"Flow.name\\": \\"" + Call.RemoteName + "\\""',
        '"Flow.delay": "30", "Flow.phone": "+13175550116", "Flow.name": "Ada Lovelace"',
    ),
    ("AudioPlaybackOptions(ToAudioBlank(100), true)", Audio((("blank", 100),), True)),
    ("ToAudioBlank(1)", Audio((("blank", 1),))),
]


@pytest.mark.parametrize(("text", "expected"), REAL_RESULTS, ids=[c[0][:60] for c in REAL_RESULTS])
def test_real_flow_expression_result(text, expected):
    assert text in REAL_EXPRESSIONS
    assert evaluate(text, FLOW_SCOPE) == expected


class _NamedScopeError(ExpressionError):
    """A scope's own error type with its own constructor, as a flow runner may define."""

    def __init__(self, variable):
        super().__init__(f"{variable} is not declared")
        self.variable = variable


class _StrictScope:
    def lookup(self, name):
        raise _NamedScopeError(name)


def test_scope_errors_keep_their_type_and_gain_the_expression_and_position():
    with pytest.raises(_NamedScopeError) as caught:
        evaluate('"x" + Task.missing', _StrictScope())
    assert caught.value.variable == "Task.missing"
    assert caught.value.position == 6
    assert str(caught.value) == "Task.missing is not declared in expression '\"x\" + Task.missing' at position 6"
