"""YAML files the architect tools read (flows, options, scenarios, attribute maps): the text, the parse, the faults.

One loader for all of them: YAML 1.2 as plain dicts, lists and scalars, from ruamel.yaml's pure-Python safe
loader. ruamel's libyaml-based loader resolves scalars by YAML 1.1 rules (`yes` and `on` as booleans), which
is not what Archy reads. Each tool words its own message from the fault's parts (file, line, column, problem).
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.error import YAMLError


class YAMLFileError(ValueError):
    """A YAML file or text the tools cannot use."""


class UnreadableFile(YAMLFileError):
    """The file cannot be opened or read, or is not UTF-8 text; `reason` says which, as the OS or codec put it."""

    def __init__(self, path: Path, reason: str, *, not_utf8: bool) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.not_utf8 = not_utf8


class InvalidYAML(YAMLFileError):
    """The text does not parse as YAML.

    `line` and `column` count from 1 (None when the parser gave no position); `problem` is what the parser
    found and `context` what it was doing ("while parsing a flow sequence"); `detail` is the parser's own
    multi-line report, with the marks it draws.
    """

    def __init__(self, detail: str, *, line: int | None = None, column: int | None = None,
                 problem: str | None = None, context: str | None = None, marked: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.line = line
        self.column = column
        self.problem = problem
        self.context = context
        self.marked = marked

    @classmethod
    def from_parser(cls, exc: YAMLError) -> InvalidYAML:
        if not isinstance(exc, MarkedYAMLError):
            return cls(str(exc))
        mark = exc.problem_mark or exc.context_mark
        return cls(str(exc), line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                   problem=exc.problem, context=exc.context, marked=True)

    @property
    def position(self) -> str:
        """"line 4, column 1", or "unknown position"."""
        return f"line {self.line}, column {self.column}" if self.line is not None else "unknown position"

    def summary(self, *, with_context: bool = True) -> str:
        """"invalid YAML at line L, column C: what" (`what` led by the parser's context unless with_context=False)."""
        if not self.marked:
            return f"invalid YAML: {self.detail}"
        if with_context:
            what = " ".join(part for part in (self.context, self.problem) if part)
        else:
            what = self.problem or self.context or ""
        return f"invalid YAML at {self.position}: {what}"


def read_text(path: str | Path) -> str:
    """The file's text (UTF-8); UnreadableFile when it cannot be read or decoded."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UnreadableFile(path, exc.strerror or str(exc), not_utf8=False) from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, str(exc), not_utf8=True) from None


def load_yaml(text: str):
    """The YAML 1.2 document in `text` as plain Python data; InvalidYAML when it does not parse."""
    try:
        return YAML(typ="safe", pure=True).load(text)  # one per call: a YAML instance is not thread-safe
    except YAMLError as exc:
        raise InvalidYAML.from_parser(exc) from None


def load_yaml_round_trip(text: str):
    """The document as ruamel's commented maps and sequences, keeping quote styles and positions (for `check`)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        return yaml.load(text)
    except YAMLError as exc:
        raise InvalidYAML.from_parser(exc) from None
