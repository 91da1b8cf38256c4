"""Jayway's path functions (`$.size()`, `.length()`, `.sum()`, ...), applied to the value the path gives."""

from __future__ import annotations

import math
from collections.abc import Callable

from architect.runtime.jsonpath.errors import InvalidPathError
from architect.runtime.jsonpath.errors import MISSING

# Sources (json-path/JsonPath, json-path/src/main/java/com/jayway/jsonpath/internal/function/):
# PathFunctionFactory.java (the names), Length.java, numeric/AbstractAggregation.java with Average, Max, Min, Sum,
# StandardDeviation, json/KeySetFunction.java, text/Concatenate.java, sequence/First.java and Last.java, and
# Parameter.java (how a path argument's values are consumed). Functions taking arguments in the path text
# (`$.sum(1, 2)`, `append(...)`) are refused here: translation maps have no use for them.

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


def _concat(model, arguments):
    return "".join(v for v in model if isinstance(v, str)) if isinstance(model, list) else ""


def _first(model, arguments):
    return model[0] if isinstance(model, list) and model else MISSING


def _last(model, arguments):
    return model[-1] if isinstance(model, list) and model else MISSING


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
    "first": _first,
    "last": _last,
}


def path_function(name: str) -> PathFunction:
    """The function called `name`; refused like Jayway's PathFunctionFactory when there is none."""
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise InvalidPathError(f"Function with name: {name} does not exist.") from None
