"""Jayway's path functions (`$.size()`, `.length()`, `.sum()`, ...), applied to the value the path gives."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from architect.runtime.jsonpath.errors import InvalidPathError
from architect.runtime.jsonpath.errors import MISSING

# Sources (json-path/JsonPath, json-path/src/main/java/com/jayway/jsonpath/internal/function/):
# PathFunctionFactory.java (the names), Length.java, numeric/AbstractAggregation.java with Average, Max, Min, Sum,
# StandardDeviation, json/KeySetFunction.java, text/Concatenate.java, sequence/First.java and Last.java, and
# json/Append.java, sequence/Index.java, and Parameter.java (how a parameter's values are consumed: an array
# gives its elements, a scalar itself).

PathFunction = Callable[[object, list], object]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(model, arguments: list) -> list:
    """AbstractAggregation: the numbers of an array model, then those of each argument's value."""
    numbers = [v for v in model if _is_number(v)] if isinstance(model, list) else []
    for value in arguments:
        if isinstance(value, list):
            numbers.extend(v for v in value if _is_number(v))
        elif _is_number(value):
            numbers.append(value)
    return numbers


def _aggregation(combine: Callable[[list], float]) -> PathFunction:
    def invoke(model, arguments):
        numbers = _numbers(model, arguments)
        if not numbers:
            # Jayway throws JsonPathException("Aggregation function attempted to calculate value using empty
            # array"). Genesys documents nothing for it; we treat it as "not found" so the default applies.
            return MISSING
        return float(combine(numbers))
    return invoke


def _stddev(numbers: list) -> float:
    # StandardDeviation.getValue: sqrt(sumSq/count - sum*sum/count/count), a population deviation.
    count = float(len(numbers))
    total = float(sum(numbers))
    squares = float(sum(n * n for n in numbers))
    return math.sqrt(squares / count - total * total / count / count)


def _length(model, arguments):
    """Length: the size of an array or object; anything else gives null. With an argument ($..x.length()),
    the number of children of what it finds."""
    if arguments and isinstance(arguments[0], list):
        return len(arguments[0])
    if isinstance(model, (list, dict)):
        return len(model)
    return None


def _keys(model, arguments):
    return list(model.keys()) if isinstance(model, dict) else None


def _java_text(value) -> str:
    """String.valueOf for the values concat() collects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return value if isinstance(value, str) else repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _concat(model, arguments):
    """Concatenate: the strings of an array model, then every argument (an array's non-null elements)."""
    parts = [v for v in model if isinstance(v, str)] if isinstance(model, list) else []
    for value in arguments:
        if isinstance(value, list):
            parts.extend(_java_text(v) for v in value if v is not None)
        elif value is not None:
            parts.append(_java_text(value))
    return "".join(parts)


def _append(model, arguments):
    """Append: the array model with each argument added (Jayway changes the document; we return a copy)."""
    return [*model, *arguments] if isinstance(model, list) else model


def _element(position: int):
    def invoke(model, arguments):
        if not isinstance(model, list):
            return MISSING
        index = position
        if arguments:
            numbers = [v for v in arguments if _is_number(v)]
            if not numbers:
                return MISSING
            index = int(numbers[0])
        if index < 0:
            index += len(model)
        # Jayway throws (IndexOutOfBoundsException or JsonPathException) beyond the ends; we treat it as not found.
        return model[index] if 0 <= index < len(model) else MISSING
    return invoke


FUNCTIONS: dict[str, PathFunction] = {
    "avg": _aggregation(lambda n: sum(n) / len(n)),
    "stddev": _aggregation(_stddev),
    "sum": _aggregation(sum),
    "min": _aggregation(min),
    "max": _aggregation(max),
    "concat": _concat,
    "length": _length,
    "size": _length,
    "keys": _keys,
    "append": _append,
    "first": _element(0),
    "last": _element(-1),
    "index": _element(0),
}


def path_function(name: str) -> PathFunction:
    """The function called `name`; refused like Jayway's PathFunctionFactory when there is none."""
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise InvalidPathError(f"Function with name: {name} does not exist.") from None
