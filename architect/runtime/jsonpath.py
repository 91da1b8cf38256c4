"""JSONPath with Jayway semantics (what Genesys translation maps use) on top of jsonpath-ng."""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass

from jsonpath_ng import jsonpath as jp
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

# Facts: docs/reference/data-actions.md §3.3. Genesys very likely evaluates translation maps with
# Jayway JsonPath (`$.size()` is Jayway-only). Jayway semantics copied here:
# - a definite path ($.a.b, $.a[0].b, $['a']) gives the value itself; JSON null is a value;
# - an indefinite path (.., [*], .*, filters, slices, unions, [0,1]) always gives a list, possibly empty;
# - "missing" (Jayway's PathNotFoundException, which makes Genesys use the translationMapDefaults entry): a definite
#   path that does not resolve, or an indefinite one whose leading definite part names a property that is absent or
#   steps into a non-object/non-array (Jayway only forgives absences after the first indefinite step; an array index
#   out of range there just gives no results);
# - tail functions: length()/size(), min(), max(), avg(), sum(), stddev(), keys(), first(), last().


class JsonPathError(ValueError):
    """The path text is not a JSONPath we can evaluate."""


class _Missing:
    """The path does not resolve (as opposed to resolving to JSON null)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()

_TAIL_FUNCTION = re.compile(r"\.(length|size|min|max|avg|sum|stddev|keys|first|last)\(\)\s*$")
# Jayway's `in` / `nin` filter operators, which jsonpath-ng lacks: one such filter per path, as `[?(<lhs> in <rhs>)]`.
_IN_FILTER = re.compile(r"\[\?\(\s*(?P<lhs>.+?)\s+(?P<op>in|nin)\s+(?P<rhs>.+?)\s*\)\]")


@dataclass(frozen=True)
class CompiledPath:
    """A parsed JSONPath: the jsonpath-ng expression, whether it is definite, and an optional tail function."""

    text: str
    expression: object
    definite: bool
    function: str | None = None
    in_filter: tuple | None = None  # (prefix CompiledPath, lhs, op, rhs, suffix text) for Jayway's in/nin


def _tokens(node) -> list:
    """The path's steps in order (Child chains flattened; anything else is one step)."""
    if isinstance(node, jp.Child):
        return _tokens(node.left) + _tokens(node.right)
    if isinstance(node, jp.Descendants):
        return _tokens(node.left) + [node]
    return [node]


def _is_definite_step(step) -> bool:
    if isinstance(step, (jp.Root, jp.This)):
        return True
    if isinstance(step, jp.Fields):
        return len(step.fields) == 1 and step.fields[0] != "*"
    if isinstance(step, jp.Index):
        return len(step.indices) == 1
    return False


@functools.lru_cache(maxsize=1024)
def compile_path(text: str) -> CompiledPath:
    """Parse a Jayway-style JSONPath; raises JsonPathError naming the path when it cannot be parsed."""
    if not isinstance(text, str) or not text.strip().startswith("$"):
        raise JsonPathError(f"JSONPath {text!r} must start with '$'")
    source = text.strip()
    function = None
    match = _TAIL_FUNCTION.search(source)
    if match:
        function = match.group(1)
        source = source[: match.start()] or "$"
    in_match = _IN_FILTER.search(source)
    if in_match:
        prefix = compile_path(source[: in_match.start()])
        if prefix.function:
            raise JsonPathError(f"JSONPath {text!r}: a function must be the last step")
        suffix = source[in_match.end():]
        in_filter = (prefix, in_match.group("lhs"), in_match.group("op"), in_match.group("rhs"), suffix)
        if suffix:
            _parse(text, "$" + suffix)
        return CompiledPath(text, None, False, function, in_filter)
    expression = _parse(text, source)
    definite = all(_is_definite_step(step) for step in _tokens(expression))
    return CompiledPath(text, expression, definite, function)


def _parse(text: str, source: str):
    try:
        return parse_jsonpath(source)
    except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exceptions from its lexer
        raise JsonPathError(f"JSONPath {text!r} cannot be parsed: {exc}") from None


def _walk_definite(steps, document):
    """Follow definite steps; MISSING when Jayway would raise PathNotFoundException, [] for an index out of range."""
    value = document
    for step in steps:
        if isinstance(step, (jp.Root, jp.This)):
            continue
        if isinstance(step, jp.Fields):
            if not isinstance(value, dict) or step.fields[0] not in value:
                return MISSING
            value = value[step.fields[0]]
        elif isinstance(step, jp.Index):
            if not isinstance(value, list):
                return MISSING
            index = step.indices[0]
            if not -len(value) <= index < len(value):
                return _OUT_OF_RANGE
            value = value[index]
    return value


_OUT_OF_RANGE = object()


def _find_all(expression, document) -> list:
    return [match.value for match in expression.find(document)]


def _evaluate_base(path: CompiledPath, document):
    if path.in_filter is not None:
        return _evaluate_in_filter(path, document)
    steps = _tokens(path.expression)
    if path.definite:
        value = _walk_definite(steps, document)
        return MISSING if value is _OUT_OF_RANGE else value
    leading = []
    for step in steps:
        if not _is_definite_step(step):
            break
        leading.append(step)
    prefix_value = _walk_definite(leading, document)
    if prefix_value is MISSING:
        return MISSING
    if prefix_value is _OUT_OF_RANGE:
        return []
    return _find_all(path.expression, document)


def _operand(text: str, element):
    """A filter operand: @-relative path (a list when indefinite), or a JSON/quoted literal."""
    text = text.strip()
    if text.startswith("@"):
        value = evaluate(compile_path("$" + text[1:]), element)
        return None if value is MISSING else value
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    try:
        return json.loads(text.replace("'", '"'))
    except ValueError:
        raise JsonPathError(f"filter operand {text!r} is neither an @ path nor a literal") from None


def _evaluate_in_filter(path: CompiledPath, document):
    prefix, lhs, op, rhs, suffix = path.in_filter
    base = _evaluate_base(prefix, document)
    if base is MISSING:
        return MISSING
    if prefix.definite:
        candidates = base if isinstance(base, list) else list(base.values()) if isinstance(base, dict) else []
    else:
        candidates = [item for value in base for item in (value if isinstance(value, list) else [value])]
    kept = []
    for element in candidates:
        left, right = _operand(lhs, element), _operand(rhs, element)
        contained = isinstance(right, list) and left in right
        if contained == (op == "in"):
            kept.append(element)
    if not suffix:
        return kept
    suffix_expression = _parse(path.text, "$" + suffix)
    return [value for element in kept for value in _find_all(suffix_expression, element)]


def _apply_function(name: str, value):
    if name in ("length", "size"):
        # Jayway Length: arrays and objects only; anything else gives null.
        return len(value) if isinstance(value, (list, dict)) else None
    if name == "keys":
        return list(value.keys()) if isinstance(value, dict) else MISSING
    if name in ("first", "last"):
        if not isinstance(value, list) or not value:
            return MISSING
        return value[0] if name == "first" else value[-1]
    items = value if isinstance(value, list) else []
    numbers = [v for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        # Jayway: "Aggregation function attempted to calculate value using empty array" -> the path fails.
        return MISSING
    if name == "min":
        return float(min(numbers))
    if name == "max":
        return float(max(numbers))
    if name == "sum":
        return float(sum(numbers))
    mean = sum(numbers) / len(numbers)
    if name == "avg":
        return float(mean)
    return math.sqrt(sum((n - mean) ** 2 for n in numbers) / len(numbers))  # stddev: population


def evaluate(path: CompiledPath | str, document):
    """Evaluate a path against a parsed JSON document: the value, a list (indefinite path), or MISSING."""
    compiled = compile_path(path) if isinstance(path, str) else path
    value = _evaluate_base(compiled, document)
    if compiled.function is None or value is MISSING:
        return value
    return _apply_function(compiled.function, value)


def is_definite(path: str) -> bool:
    """True when Jayway would return the value itself rather than a list."""
    compiled = compile_path(path)
    return compiled.definite or compiled.function is not None
