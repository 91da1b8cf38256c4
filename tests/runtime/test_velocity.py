"""Velocity rendering as Genesys data actions do it (reference docs/reference/data-actions.md §3.1-3.2)."""

import base64

import pytest

from architect.runtime.velocity import TemplateRenderError, render_velocity

CONTEXT = {
    "input": {
        "name": "Ann",
        "empty": "",
        "nothing": None,
        "quoted": 'say "hi"\nback\\slash\ttab',
        "flag": True,
        "off": False,
        "count": 3,
        "ratio": 2.5,
        "whole": 3.0,
        "items": ["a", 1, None],
        "obj": {"k": "v", "n": 2},
        "spaced": "a b&c/d~e*f",
        "csv": "a,b,,c,,",
        "unicode": "café",
        "encoded": 'a\\"b\\nc',
    },
    "credentials": {"clientId": "id", "clientSecret": "s3cret"},
}


def render(template: str, context: dict = CONTEXT) -> str:
    return render_velocity(template, context, name="body")


@pytest.mark.parametrize(
    "template, expected",
    [
        # HC:149841: formal notation prints the reference when null; silent prints "".
        ("${input.missing}", "${input.missing}"),
        ("$input.missing", "$input.missing"),
        ("${input.nothing}", "${input.nothing}"),
        ("$!{input.missing}", ""),
        ("$!input.missing", ""),
        ("[$!{input.nothing}]", "[]"),
        ("${credentials.absent}", "${credentials.absent}"),
        ("${nosuchroot.x}", "${nosuchroot.x}"),
        ("${input.name}", "Ann"),
        ("$input.name", "Ann"),
        ("${input.empty}", ""),
        # A helper on a null argument returns null, so the whole call prints as written (or "" when silent).
        ("$esc.jsonString(${input.missing})", "$esc.jsonString(${input.missing})"),
        ("$!esc.jsonString($!{input.missing})", ""),
        # An input named like a Python dict method is still a missing key, not a bound method.
        ("${input.items2}", "${input.items2}"),
        ("${input.keys}", "${input.keys}"),
        ("${input.values}", "${input.values}"),
        # Alternate value inside braces.
        ("${input.missing|'dflt'}", "dflt"),
    ],
)
def test_null_and_missing_references(template, expected):
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        # Java toString, not Python str.
        ("$input.flag", "true"),
        ("$input.off", "false"),
        ("$input.count", "3"),
        ("$input.ratio", "2.5"),
        ("$input.whole", "3.0"),
        ("$input.items", "[a, 1, null]"),
        ("$input.obj", "{k=v, n=2}"),
        ("$input.obj.k", "v"),
        ("$input.obj.get('n')", "2"),
        ("$input.items.get(0)", "a"),
        ("$input.items[1]", "1"),
    ],
)
def test_values_print_as_java_prints_them(template, expected):
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        # $esc.jsonString adds no quotes (§3.1); quotes, newlines, backslashes and tabs escaped as JSON.
        ('"$esc.jsonString($input.quoted)"', r'"say \"hi\"\nback\\slash\ttab"'),
        ("$esc.jsonEncode($input.quoted)", r"say \"hi\"\nback\\slash\ttab"),
        ("$esc.jsonString($input.unicode)", "café"),
        ("$esc.jsonDecode($input.encoded)", 'a"b\nc'),
        # urlFormEncode / url: space -> +, like java.net.URLEncoder; uriEncode: space -> %20.
        ("$esc.urlFormEncode($input.spaced)", "a+b%26c%2Fd%7Ee*f"),
        ("$esc.url($input.spaced)", "a+b%26c%2Fd%7Ee*f"),
        ("$esc.uriEncode($input.spaced)", "a%20b%26c%2Fd%7Ee*f"),
        ("$esc.uriEncode('https://api.example.com/v1/customers')", "https%3A%2F%2Fapi.example.com%2Fv1%2Fcustomers"),
        ("$esc.url($input.unicode)", "caf%C3%A9"),
        ("$esc.quote$esc.quote", '""'),
        ("$esc.xml(\"<a href='x'>&</a>\")", "&lt;a href=&apos;x&apos;&gt;&amp;&lt;/a&gt;"),
        ("$esc.sql(\"O'Brien\")", "O''Brien"),
    ],
)
def test_escape_tool(template, expected):
    assert render(template) == expected


def test_base64_of_interpolated_credentials_makes_a_basic_header():
    rendered = render('Basic $encoding.base64("${credentials.clientId}:${credentials.clientSecret}")')
    assert rendered == "Basic aWQ6czNjcmV0"
    assert base64.b64decode(rendered.split()[1]) == b"id:s3cret"


@pytest.mark.parametrize(
    "template, expected",
    [
        # MathTool: integers stay integers unless a double is involved or the result has a fraction.
        ("$math.add(1, 2)", "3"),
        ("$math.add(1, 2.0)", "3.0"),
        ("$math.add('4', 2)", "6"),
        ("$math.sub(10, 4)", "6"),
        ("$math.mul(3, 4)", "12"),
        ("$math.div(7, 2)", "3.5"),
        ("$math.div(6, 2)", "3"),
        ("$math.div(1, 0)", "$math.div(1, 0)"),  # null -> reference text
        ("$math.idiv(7, 2)", "3"),
        ("$math.mod(7, 3)", "1"),
        ("$math.max(2, 9)", "9"),
        ("$math.min(2, 9)", "2"),
        ("$math.abs(-5)", "5"),
        ("$math.round(2.5)", "3"),
        ("$math.round(-2.5)", "-2"),
        ("$math.floor(2.7)", "2"),
        ("$math.ceil(2.1)", "3"),
        ("$math.toInteger('42')", "42"),
        ("$math.toNumber('4.5')", "4.5"),
        ("$math.add($input.count, 1)", "4"),
        ("$!math.add('x', 1)", ""),
        ("#set($total = $math.add($input.count, $input.ratio))$total", "5.5"),
    ],
)
def test_math_tool(template, expected):
    assert render(template) == expected


def test_math_random_between_integers_is_an_integer_in_range():
    values = {int(render("$math.random(1, 4)")) for _ in range(50)}
    assert values <= {1, 2, 3} and len(values) > 1


@pytest.mark.parametrize(
    "template, expected",
    [
        ("$input.name.toUpperCase()", "ANN"),
        ("$input.name.toLowerCase()", "ann"),
        ("$input.name.length()", "3"),
        ("$input.name.substring(1)", "nn"),
        ("$input.name.substring(0, 2)", "An"),
        ("$input.name.indexOf('n')", "1"),
        ("$input.name.startsWith('A')", "true"),
        ("$input.name.endsWith('x')", "false"),
        ("$input.name.equals('Ann')", "true"),
        ("$input.name.equalsIgnoreCase('ann')", "true"),
        ("$input.empty.isEmpty()", "true"),
        ("$input.name.replace('n', 'd')", "Add"),
        ("$input.name.replaceAll('(n+)', '[$1]')", "A[nn]"),
        ("$input.name.matches('A.*')", "true"),
        ("$input.csv.split(',')", "[a, b, , c]"),  # Java drops trailing empty strings
        ("$input.items.size()", "3"),
        ("$input.items.isEmpty()", "false"),
        ("$input.obj.containsKey('k')", "true"),
        # Python's own str methods are not Java's: no such method -> reference text.
        ("$input.name.upper()", "$input.name.upper()"),
    ],
)
def test_java_string_list_and_map_methods(template, expected):
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        # BLOG 2025-01-14 pattern (§3.1).
        ("#if($!{input.name} == 'Ann')yes#{else}no#end", "yes"),
        ("#if($!{input.missing} == 'Ann')yes#{else}no#end", "no"),
        ("#if($input.flag)on#end", "on"),
        ("#foreach($i in $input.items)$!i;#end", "a;1;;"),
    ],
)
def test_directives(template, expected):
    assert render(template) == expected


@pytest.mark.parametrize(
    "template, expected",
    [
        # §3.2 usages: first element as JSON text; default text when empty.
        ("$successTemplateUtils.firstFromArray('[\"u1\",\"u2\"]')", '"u1"'),
        ("$successTemplateUtils.firstFromArray('[{\"a\":1}]')", '{"a": 1}'),
        ("$successTemplateUtils.firstFromArray('[]', \"$esc.quote$esc.quote\")", '""'),
        ("$successTemplateUtils.firstFromArray('[]', 'null')", "null"),
        ("$successTemplateUtils.moveKeysIntoArrayOfObjects('{\"q1\":{\"n\":1}}', 'id')", '[{"id": "q1", "n": 1}]'),
        ("x$urlTool.optionalQueryParam('name', $input.spaced)", "x&name=a+b%26c%2Fd%7Ee*f"),
        ("x$urlTool.optionalQueryParam('name', $input.missing)", "x"),
        ("x$urlTool.optionalQueryParam('name', $input.empty)", "x"),
    ],
)
def test_success_template_utils_and_url_tool(template, expected):
    assert render(template) == expected


def test_first_from_array_reads_a_translation_value_passed_as_json_text():
    context = {"anAgentId": '["agent-7","agent-9"]'}
    assert render_velocity('{"agentId":${successTemplateUtils.firstFromArray("${anAgentId}")}}', context,
                           name="success template") == '{"agentId":"agent-7"}'


def test_syntax_error_names_the_template_and_position():
    with pytest.raises(TemplateRenderError) as caught:
        render_velocity('{"a": 1}\n{"b": ${input.x', CONTEXT, name="success template")
    message = str(caught.value)
    assert message.startswith("success template: Velocity error at line 2, column")
    assert caught.value.line == 2
    assert "expected }" in message


def test_unclosed_if_is_a_syntax_error():
    with pytest.raises(TemplateRenderError) as caught:
        render_velocity("#if($input.flag)yes", CONTEXT, name="header X-Tier")
    assert str(caught.value).startswith("header X-Tier: Velocity error at line 1")


def test_helper_failure_names_the_template_and_expression():
    with pytest.raises(TemplateRenderError) as caught:
        render_velocity("ok\n  $successTemplateUtils.firstFromArray('{not json')", CONTEXT, name="request URL")
    error = caught.value
    assert (error.line, error.column) == (2, 3)
    assert "firstFromArray: argument is not JSON" in str(error)
    assert str(error).startswith("request URL: Velocity error at line 2, column 3")
