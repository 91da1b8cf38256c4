"""Where our customer fields live in a CRM's JSON: dotted paths (contact.name.first, phones[0].number)
or JSONPath ($.contact.phones[?(@.type=='mobile')].number), compiled once at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping

from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext import parse as parse_jsonpath

_MISSING = object()
# One dotted step: a key, optionally followed by [index] parts (e.g. "phones[0]" or "matrix[1][2]").
_STEP = re.compile(r"^([^.\[\]]*)((?:\[\d+\])*)$")


class PathError(ValueError):
    """A path that cannot be compiled; the message says which and why."""


class WrongShape(ValueError):
    """The CRM's JSON does not have the shape of a customer answer; the message says what was found."""


class Path:
    """A compiled dotted path or JSONPath; find(doc) gives the first value it selects, or _MISSING."""

    def __init__(self, text: str):
        self.text = text
        if text.startswith("$"):
            try:
                self._jsonpath = parse_jsonpath(text)
            except JSONPathError as exc:
                raise PathError(f"{text!r} is not a valid JSONPath: {exc}") from None
            self._steps = None
        else:
            self._jsonpath = None
            self._steps = _dotted_steps(text)

    def find(self, document: object) -> object:
        """The first value at this path in document, or MISSING (JSON null is a value, not missing)."""
        if self._jsonpath is not None:
            matches = self._jsonpath.find(document)
            return matches[0].value if matches else _MISSING
        node = document
        for step in self._steps:
            if isinstance(step, int):
                if not isinstance(node, list) or not -len(node) <= step < len(node):
                    return _MISSING
                node = node[step]
            elif isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                # "phones.0.number" is a common way to write phones[0].number.
                node = node[int(step)]
            else:
                return _MISSING
        return node


def _dotted_steps(text: str) -> list[str | int]:
    if not text or text.strip() != text:
        raise PathError(f"{text!r} is not a path: empty or surrounded by spaces")
    steps: list[str | int] = []
    for position, part in enumerate(text.split(".")):
        match = _STEP.match(part)
        # Only the first step may be a bare index ("[0].name"); "a.[0]" and "a..b" are typos.
        if not match or not (match.group(1) or (match.group(2) and position == 0)):
            raise PathError(
                f"{text!r} is not a dotted path such as contact.name or phones[0].number "
                "(use JSONPath, starting with $, for keys containing dots or brackets)"
            )
        if match.group(1):
            steps.append(match.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return steps


def is_missing(value: object) -> bool:
    """True for the marker Path.find returns when a path selects nothing."""
    return value is _MISSING


class FieldMap:
    """ourField -> Path, plus where the customer record sits in the CRM answer (record_path, "" = the root).

    Fields not named in `mapping` are read from the key of the same name, so an empty mapping suits a CRM
    that already answers with our field names.
    """

    def __init__(self, fields: tuple[str, ...], mapping: Mapping[str, str], record_path: str = ""):
        unknown = sorted(set(mapping) - set(fields))
        if unknown:
            raise PathError(f"unknown field(s) {', '.join(unknown)}; fields are: {', '.join(fields)}")
        self.fields = fields
        self.paths = {name: Path(mapping.get(name, name)) for name in fields}
        self.record_path = Path(record_path) if record_path else None

    def select_record(self, document: object) -> dict | None:
        """The customer object in a CRM answer, or None for "no such customer".

        An object is the record; a list is a list of matches (the first one wins); null, [] and {} are
        misses. Anything else (a string, a number, a list of non-objects, an absent record path) is
        raised as WrongShape.
        """
        node = document
        if self.record_path is not None:
            node = self.record_path.find(document)
            if is_missing(node):
                raise WrongShape(f"no {self.record_path.text!r} in the CRM answer ({_kind(document)})")
        if isinstance(node, list):
            if not node:
                return None
            if not isinstance(node[0], dict):
                raise WrongShape(f"a list of {_kind(node[0])}, expected a list of objects")
            node = node[0]
        if node is None:
            return None
        if not isinstance(node, dict):
            raise WrongShape(f"{_kind(node)}, expected an object or a list of objects")
        return node or None

    def extract(self, record: Mapping[str, object]) -> dict[str, object]:
        """ourField -> raw CRM value for every field whose path selects something in record."""
        values = {}
        for name, path in self.paths.items():
            value = path.find(record)
            if not is_missing(value):
                values[name] = value
        return values


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
