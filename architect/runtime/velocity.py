"""Velocity templates as Genesys data actions render them: airspeed plus the Genesys helper tools."""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import random
import re
import urllib.parse
from dataclasses import dataclass

import airspeed

# Facts: docs/reference/data-actions.md §3.1 (where Velocity applies, null handling, the documented
# macro libraries), §3.2 (successTemplateUtils) and §8 (escaping guidance). Velocity semantics we copy on top of
# airspeed: Java's toString for values (true/false, [a, b], {k=v}), property access on a map is map.get(key), and
# a method call on a String/List/Map only reaches the Java methods (airspeed would call Python's str/dict methods).


class TemplateRenderError(ValueError):
    """A Velocity template could not be parsed or evaluated; names the template and the position."""

    def __init__(self, template_name: str, message: str, line: int | None = None, column: int | None = None):
        self.template_name = template_name
        self.line = line
        self.column = column
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"{template_name}: Velocity error{where}: {message}")


# ---------------------------------------------------------------------------------------------------------------
# Java value semantics


def java_text(value) -> str:
    """The text Velocity prints for a value (Java toString): true/false, [a, b], {k=v}, null."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return _java_double_text(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_text(k)}={java_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _java_double_text(value: float) -> str:
    """Java Double.toString: 3.0, 0.5, 1.0E7, NaN, Infinity."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    mantissa, exponent = f"{value:e}".split("e")
    digits = repr(float(mantissa)).rstrip("0")
    digits = digits + "0" if digits.endswith(".") else digits
    return f"{digits}E{int(exponent)}"


def _java_replacement(replacement: str) -> str:
    """A Java regex replacement ($1, \\$) as a Python one (\\1, $)."""
    out, i = [], 0
    while i < len(replacement):
        char = replacement[i]
        if char == "\\" and i + 1 < len(replacement):
            out.append(re.escape(replacement[i + 1]) if replacement[i + 1] == "\\" else replacement[i + 1])
            i += 2
        elif char == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            out.append("\\g<" + replacement[i + 1] + ">")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _java_split(text: str, regex: str, limit: int = 0) -> list[str]:
    """String.split(regex[, limit]): with limit 0, trailing empty strings are dropped."""
    parts = re.split(regex, text, maxsplit=limit - 1) if limit > 0 else re.split(regex, text)
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def _index_of(text, value, start: int = 0) -> int:
    return text.find(value, start) if isinstance(text, str) else (text.index(value) if value in text else -1)


# The Java methods Velocity templates call on Strings, Lists, Maps, numbers and booleans. Anything else is
# "no such method", which Velocity renders as the reference text (like a null).
_JAVA_METHODS: dict[type, dict] = {
    str: {
        "length": len,
        "isEmpty": lambda s: len(s) == 0,
        "isBlank": lambda s: s.strip() == "",
        "trim": lambda s: s.strip(" \t\n\r\x0b\x0c\x00"),
        "strip": str.strip,
        "toUpperCase": str.upper,
        "toLowerCase": str.lower,
        "substring": lambda s, begin, end=None: s[begin:] if end is None else s[begin:end],
        "indexOf": _index_of,
        "lastIndexOf": lambda s, value: s.rfind(value),
        "charAt": lambda s, index: s[index],
        "startsWith": lambda s, prefix: s.startswith(prefix),
        "endsWith": lambda s, suffix: s.endswith(suffix),
        "contains": lambda s, value: java_text(value) in s,
        "equals": lambda s, other: s == other,
        "equalsIgnoreCase": lambda s, other: isinstance(other, str) and s.lower() == other.lower(),
        "compareTo": lambda s, other: (s > other) - (s < other),
        "concat": lambda s, other: s + other,
        "replace": lambda s, old, new: s.replace(java_text(old), java_text(new)),
        "replaceAll": lambda s, regex, repl: re.sub(regex, _java_replacement(repl), s),
        "replaceFirst": lambda s, regex, repl: re.sub(regex, _java_replacement(repl), s, count=1),
        "matches": lambda s, regex: re.fullmatch(regex, s) is not None,
        "split": _java_split,
        "toString": lambda s: s,
    },
    list: {
        "size": len,
        "isEmpty": lambda items: len(items) == 0,
        "get": lambda items, index: items[index],
        "contains": lambda items, value: value in items,
        "indexOf": _index_of,
        "add": lambda items, value: items.append(value) or True,
        "toString": java_text,
    },
    dict: {
        "get": lambda mapping, key: mapping.get(key),
        "containsKey": lambda mapping, key: key in mapping,
        "containsValue": lambda mapping, value: value in mapping.values(),
        "isEmpty": lambda mapping: len(mapping) == 0,
        "size": len,
        "keySet": lambda mapping: list(mapping.keys()),
        "values": lambda mapping: list(mapping.values()),
        "put": lambda mapping, key, value: mapping.__setitem__(key, value),
        "toString": java_text,
    },
    bool: {"toString": java_text, "booleanValue": lambda b: b, "equals": lambda b, other: b is other},
    int: {"toString": java_text, "intValue": int, "doubleValue": float, "equals": lambda n, other: n == other},
    float: {"toString": java_text, "intValue": int, "doubleValue": float, "equals": lambda n, other: n == other},
}


def _java_methods_for(value) -> dict | None:
    for kind in (bool, str, list, dict, int, float):  # bool before int: True is an int in Python
        if isinstance(value, kind):
            return _JAVA_METHODS[kind]
    return None


def _lookup(current_object, name: str, has_parameters: bool):
    """Velocity's lookup of `.name` (property) or `.name(...)` (method) on a value; None when not found."""
    java_methods = _java_methods_for(current_object)
    if java_methods is not None:
        if has_parameters:
            method = java_methods.get(name)
            return None if method is None else (lambda *args: method(current_object, *args))
        if isinstance(current_object, dict):
            return current_object.get(name)
        # `$list.empty` -> isEmpty(), `$s.bytes` -> getBytes(): Velocity's bean-getter fallback.
        for getter in ("get" + name[:1].upper() + name[1:], "is" + name[:1].upper() + name[1:]):
            if getter in java_methods:
                return java_methods[getter](current_object)
        return None
    if name.startswith("_"):
        return None
    # Our tool objects: plain attributes are properties ($esc.quote), methods are methods ($esc.url(...)).
    return getattr(current_object, name, None)


def _name_or_call_calculate(self, current_object, loader, top_namespace):
    """Replacement for airspeed's NameOrCall.calculate with Velocity's lookup rules (see module comment)."""
    if isinstance(current_object, airspeed.LocalNamespace):
        try:
            result = current_object[self.name]
        except KeyError:
            return None
        if isinstance(result, airspeed._FunctionDefinition):
            params = self.parameters and self.parameters.calculate(top_namespace, loader) or []
            stream = airspeed.StoppableStream()
            result.execute_function(stream, top_namespace, params, loader)
            return stream.getvalue()
    else:
        result = _lookup(current_object, self.name, self.parameters is not None)
    if result is None:
        return None
    if self.parameters is not None:
        if not callable(result):
            return None
        result = result(*self.parameters.calculate(top_namespace, loader))
    elif self.index is not None:
        index = self.index.calculate(top_namespace, loader)
        try:
            result = result[index]
        except (IndexError, KeyError, TypeError):
            result = None
    return result


def _formal_reference_evaluate_raw(self, stream, namespace, loader):
    """Replacement for airspeed's FormalReference.evaluate_raw that prints values as Java does."""
    value = None
    if self.expression is not None:
        value = self.expression.calculate(namespace, loader)
    if value is None:
        if self.alternate is not None:
            value = self.alternate.calculate(namespace, loader)
        elif self.silent and self.expression is not None:
            value = ""
        else:
            value = self.my_text()
    stream.write(java_text(value))


# airspeed has no extension hook for either behaviour, so we install ours on its element classes once; nothing
# else in the project uses airspeed.
airspeed.NameOrCall.calculate = _name_or_call_calculate
airspeed.FormalReference.evaluate_raw = _formal_reference_evaluate_raw


# ---------------------------------------------------------------------------------------------------------------
# The Genesys tools (reference §3.1: $esc, $math, $encoding, $successTemplateUtils, $urlTool)


def _java_url_form_encode(text: str) -> str:
    # java.net.URLEncoder.encode(s, "UTF-8"): keeps A-Z a-z 0-9 . - * _, space -> "+", the rest %XX (so "~" too).
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")


class EscapeTool:
    """`$esc`: Velocity's EscapeTool plus the Genesys JSON and URL helpers (reference §3.1)."""

    quote = q = '"'
    singleQuote = s = "'"
    dollar = d = "$"
    hash = h = "#"
    backslash = b = "\\"
    exclamation = e = "!"

    def jsonString(self, value):
        """JSON string escaping without the surrounding quotes (reference §3.1: every usage adds its own)."""
        if value is None:
            return None
        return json.dumps(java_text(value), ensure_ascii=False)[1:-1]

    jsonEncode = jsonString

    def jsonDecode(self, value):
        """The inverse of jsonString: JSON string escapes to text."""
        if value is None:
            return None
        return json.loads('"' + java_text(value) + '"')

    def urlFormEncode(self, value):
        """URL form encoding, space -> + (reference §3.1: `$esc.url` is an alias)."""
        return None if value is None else _java_url_form_encode(java_text(value))

    url = urlFormEncode

    def uriEncode(self, value):
        """URI encoding for URL templates: as urlFormEncode, but space -> %20."""
        return None if value is None else _java_url_form_encode(java_text(value)).replace("+", "%20")

    def unurl(self, value):
        return None if value is None else urllib.parse.unquote_plus(java_text(value))

    def java(self, value):
        return None if value is None else json.dumps(java_text(value), ensure_ascii=False)[1:-1]

    javascript = java

    def html(self, value):
        # StringEscapeUtils.escapeHtml: & < > " (not the apostrophe).
        return None if value is None else html.escape(java_text(value), quote=False).replace('"', "&quot;")

    def xml(self, value):
        return None if value is None else html.escape(java_text(value), quote=True).replace("&#x27;", "&apos;")

    def sql(self, value):
        return None if value is None else java_text(value).replace("'", "''")


class EncodingTool:
    """`$encoding`: base64 of the UTF-8 text (reference §3.1, used for Basic headers)."""

    def base64(self, value):
        return None if value is None else base64.b64encode(java_text(value).encode("utf-8")).decode("ascii")


def _to_number(value):
    """MathTool.toNumber: numbers as they are, numeric strings parsed (integral -> int), anything else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    text = java_text(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() and "e" not in text.lower() else number


def _match_type(result: float, *numbers):
    """MathTool.matchType: a double if any operand is a double or the result has a fraction, else an integer."""
    if any(isinstance(n, float) for n in numbers) or not float(result).is_integer():
        return float(result)
    return int(result)


class MathTool:
    """`$math`: Velocity MathTool (reference §3.1). Invalid operands give null, as in MathTool."""

    def _numbers(self, values):
        numbers = [_to_number(v) for v in values]
        return None if any(n is None for n in numbers) else numbers

    def add(self, *values):
        numbers = self._numbers(values)
        return None if numbers is None else _match_type(sum(numbers), *numbers)

    def sub(self, *values):
        numbers = self._numbers(values)
        if not numbers:
            return None
        result = numbers[0]
        for n in numbers[1:]:
            result -= n
        return _match_type(result, *numbers)

    def mul(self, *values):
        numbers = self._numbers(values)
        if not numbers:
            return None
        result = 1
        for n in numbers:
            result *= n
        return _match_type(result, *numbers)

    def div(self, *values):
        numbers = self._numbers(values)
        if not numbers:
            return None
        result = float(numbers[0])
        for n in numbers[1:]:
            if n == 0:
                return None
            result /= n
        return _match_type(result, *numbers)

    def idiv(self, a, b):
        numbers = self._numbers((a, b))
        if numbers is None or int(numbers[1]) == 0:
            return None
        return int(int(numbers[0]) / int(numbers[1]))  # Java integer division truncates toward zero

    def mod(self, a, b):
        numbers = self._numbers((a, b))
        if numbers is None or int(numbers[1]) == 0:
            return None
        return int(math.fmod(int(numbers[0]), int(numbers[1])))

    def pow(self, a, b):
        numbers = self._numbers((a, b))
        return None if numbers is None else _match_type(math.pow(numbers[0], numbers[1]), *numbers)

    def max(self, *values):
        numbers = self._numbers(values)
        return None if not numbers else _match_type(max(numbers), *numbers)

    def min(self, *values):
        numbers = self._numbers(values)
        return None if not numbers else _match_type(min(numbers), *numbers)

    def abs(self, value):
        number = _to_number(value)
        return None if number is None else _match_type(abs(number), number)

    def ceil(self, value):
        number = _to_number(value)
        return None if number is None else math.ceil(number)

    def floor(self, value):
        number = _to_number(value)
        return None if number is None else math.floor(number)

    def round(self, value):
        # Math.round: half up (toward positive infinity), not Python's half-to-even.
        number = _to_number(value)
        return None if number is None else math.floor(number + 0.5)

    def roundTo(self, decimals, value):
        places, number = _to_number(decimals), _to_number(value)
        if places is None or number is None:
            return None
        scale = 10 ** int(places)
        return math.floor(number * scale + 0.5) / scale

    def toInteger(self, value):
        number = _to_number(value)
        return None if number is None else int(number)

    def toDouble(self, value):
        number = _to_number(value)
        return None if number is None else float(number)

    def toNumber(self, value):
        return _to_number(value)

    def random(self, low=None, high=None):
        """random() -> a double in [0, 1); random(a, b) -> a number in [a, b), an integer when both are."""
        if low is None and high is None:
            return random.random()
        numbers = self._numbers((low, high))
        if numbers is None or numbers[0] >= numbers[1]:
            return None
        if all(isinstance(n, int) for n in numbers):
            return random.randrange(numbers[0], numbers[1])
        return random.uniform(numbers[0], numbers[1])

    def getRandom(self):
        return random.random()

    def getTotal(self, values):
        numbers = self._numbers(values or [])
        return None if not numbers else _match_type(sum(numbers), *numbers)

    def getAverage(self, values):
        numbers = self._numbers(values or [])
        return None if not numbers else _match_type(sum(numbers) / len(numbers), *numbers)


class SuccessTemplateUtils:
    """`$successTemplateUtils` (reference §3.2): helpers that take and return JSON text."""

    def firstFromArray(self, array_json, default_json=None):
        """The JSON text of the first element of a JSON array; the default text when the array is empty."""
        if array_json is None:
            return None
        try:
            items = json.loads(java_text(array_json))
        except ValueError:
            raise ValueError(f"firstFromArray: argument is not JSON: {java_text(array_json)[:200]!r}") from None
        if not isinstance(items, list):
            raise ValueError(f"firstFromArray: argument is not a JSON array: {java_text(array_json)[:200]!r}")
        if items:
            return json.dumps(items[0], ensure_ascii=False)
        # Empty without a default: not documented (reference §3.2); we leave the reference unresolved, so the
        # success template shows the call and fails to parse, rather than inventing a value.
        return None if default_json is None else java_text(default_json)

    def moveKeysIntoArrayOfObjects(self, object_json, key_name):
        """{"k1": {...}, "k2": {...}} -> [{key_name: "k1", ...}, {key_name: "k2", ...}] as JSON text."""
        if object_json is None:
            return None
        try:
            mapping = json.loads(java_text(object_json))
        except ValueError:
            text = java_text(object_json)[:200]
            raise ValueError(f"moveKeysIntoArrayOfObjects: argument is not JSON: {text!r}") from None
        if not isinstance(mapping, dict):
            raise ValueError("moveKeysIntoArrayOfObjects: argument is not a JSON object")
        items = []
        for key, value in mapping.items():
            if not isinstance(value, dict):
                raise ValueError(f"moveKeysIntoArrayOfObjects: value of {key!r} is not an object")
            items.append({java_text(key_name): key, **value})
        return json.dumps(items, ensure_ascii=False)


class UrlTool:
    """`$urlTool` (reference §3.1; exact output format undocumented, §9 question 9)."""

    def optionalQueryParam(self, name, value):
        """`&name=value` (form-encoded) when value is set and non-empty, else nothing."""
        if value is None or java_text(value) == "":
            return ""
        return f"&{_java_url_form_encode(java_text(name))}={_java_url_form_encode(java_text(value))}"


def velocity_tools() -> dict:
    """The tool objects every Genesys data-action template can use, by their template names."""
    return {
        "esc": EscapeTool(),
        "encoding": EncodingTool(),
        "math": MathTool(),
        "successTemplateUtils": SuccessTemplateUtils(),
        "urlTool": UrlTool(),
    }


# ---------------------------------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class _Position:
    line: int
    column: int


def _position(text: str, offset: int) -> _Position:
    before = text[:offset]
    return _Position(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


@functools.lru_cache(maxsize=1024)
def _compiled(template: str, name: str) -> airspeed.Template:
    # Parsing dominates rendering time; a flow run renders the same few templates again and again.
    return airspeed.Template(template, filename=name)


def render_velocity(template: str, context: dict, *, name: str) -> str:
    """Render `template` with `context` (plus the Genesys tools); errors name the template and the position."""
    namespace = {**velocity_tools(), **context}
    try:
        return _compiled(template, name).merge(namespace)
    except airspeed.TemplateSyntaxError as exc:
        message = str(exc).split(": ", 1)[1] if ": " in str(exc) else str(exc)
        raise TemplateRenderError(name, message, exc.line, exc.column) from None
    except airspeed.TemplateExecutionError as exc:
        cause = exc.__cause__
        expression = exc.element.my_text()
        full_text = exc.element.full_text()
        message = f"{type(cause).__name__}: {cause} (in {expression!r})"
        if full_text == template:
            where = _position(template, exc.start)
            raise TemplateRenderError(name, message, where.line, where.column) from None
        raise TemplateRenderError(name, message) from None
