"""What a Jayway JsonPath read can end in besides a value: a refused path, a failed evaluation, or "not found"."""

from __future__ import annotations


class JsonPathError(ValueError):
    """Jayway would throw: the path is refused (InvalidPathException) or its evaluation fails (JsonPathException)."""


class InvalidPathError(JsonPathError):
    """Jayway's InvalidPathException. Inside a filter it only makes that element fail the filter (Jayway's accept())."""


class PathNotFound(Exception):
    """Jayway's PathNotFoundException, internal: `evaluate` turns it into MISSING (Genesys then uses the default)."""


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
