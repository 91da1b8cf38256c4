"""JSONPath as Genesys evaluates translation maps: Jayway JsonPath's dialect, results and refusals."""

from __future__ import annotations

import functools

from architect.runtime.jsonpath.compiler import compile_text
from architect.runtime.jsonpath.errors import MISSING
from architect.runtime.jsonpath.errors import InvalidPathError
from architect.runtime.jsonpath.errors import JsonPathError
from architect.runtime.jsonpath.errors import PathNotFound
from architect.runtime.jsonpath.tokens import CompiledPath

# Genesys evaluates translation maps with Jayway JsonPath (`$.size()` is Jayway-only); this package reimplements
# Jayway 2.x with its default configuration. Rules and sources: docs/reference/jayway-jsonpath.md.

__all__ = ["MISSING", "CompiledPath", "JsonPathError", "compile_path", "evaluate", "is_definite"]


@functools.lru_cache(maxsize=1024)
def compile_path(text: str) -> CompiledPath:
    """Compile a translation-map path as Jayway does; JsonPathError naming the path when Jayway refuses it."""
    try:
        return compile_text(text)
    except InvalidPathError as exc:
        raise InvalidPathError(f"JSONPath {text!r} is refused by Jayway JsonPath: {exc}") from None


def evaluate(path: CompiledPath | str, document):
    """The value (definite path), the list (indefinite path) or MISSING (Jayway's PathNotFoundException)."""
    compiled = compile_path(path) if isinstance(path, str) else path
    try:
        value = compiled.find(document, document)
    except PathNotFound:
        return MISSING
    except JsonPathError as exc:
        raise type(exc)(f"JSONPath {compiled.text!r} cannot be evaluated: {exc}") from None
    if value is MISSING or (isinstance(value, list) and not compiled.definite and MISSING in value):
        return MISSING
    return value


def is_definite(path: str) -> bool:
    """True when Jayway returns the value itself rather than a list."""
    return compile_path(path).definite
