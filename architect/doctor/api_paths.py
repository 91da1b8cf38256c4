"""The Genesys Cloud public API's paths and verbs, as recorded from the Python SDK, and matching a URL against them."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import re
from pathlib import Path

from architect.doctor.request import split_url

# Written by `python -m architect.doctor.sdk_paths --regenerate WHEEL` from the PureCloudPlatformClientV2 wheel.
DATA_FILE = Path(__file__).with_name("genesys-api-paths.jsonl")

# How people write a path parameter in a request they paste: {id}, :id, <id>, ${id}, $id, %7Bid%7D.
_PLACEHOLDER = re.compile(r"^(\{[^}]*\}|:[A-Za-z_]\w*|<[^>]*>|\$\{[^}]*\}|\$[A-Za-z_]\w*|%7B.*%7D)$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Operation:
    """One operation of the public API: verb, path template, and the SDK class and method that call it."""

    verb: str
    path: str
    api_class: str
    method: str
    body_model: str | None
    summary: str
    deprecated: bool
    headers: tuple[str, ...] = ()

    @property
    def javascript_method(self) -> str:
        """The JavaScript SDK's name for it: the same operation id, camelCase (patchConversationParticipantAttributes)."""
        head, *rest = self.method.split("_")
        return head + "".join(part[:1].upper() + part[1:] for part in rest)

    @functools.cached_property
    def segments(self) -> tuple[str, ...]:
        """The template's segments: `api`, `v2`, `conversations`, `{conversationId}`, ..."""
        return tuple(self.path.strip("/").split("/"))


@dataclasses.dataclass(frozen=True)
class ApiPaths:
    """The recorded path list: SDK version, operations, and the fields of the conversations API's body models."""

    sdk: str
    version: str
    source: str
    operations: tuple[Operation, ...]
    models: dict[str, dict[str, str]]
    region_hosts: dict[str, str]

    @functools.cached_property
    def literals(self) -> frozenset[str]:
        """Every fixed path segment of any operation (`conversations`, `participants`, `attributes`, ...)."""
        return frozenset(s for op in self.operations for s in op.segments if not s.startswith("{"))

    def operations_for(self, path: str) -> tuple[Operation, ...]:
        """The operations (any verb) whose template matches a concrete or placeholder path best; () when none does.

        A fixed segment beats a parameter, so `/conversations/calls/{id}` wins over `/conversations/{id}` for `calls/1`.
        """
        wanted = path_segments(path)
        best: list[Operation] = []
        best_score = -1
        for op in self.operations:
            segments = op.segments
            if len(segments) != len(wanted):
                continue
            score = 0
            for mine, theirs in zip(wanted, segments):
                if theirs.startswith("{"):
                    if mine in self.literals and not is_placeholder(mine):
                        # A fixed word of the API in a parameter slot is almost always the wrong path.
                        score = -1
                        break
                elif mine.lower() == theirs:
                    score += 1
                else:
                    score = -1
                    break
            if score > best_score:
                best, best_score = [op], score
            elif score == best_score and score >= 0:
                best.append(op)
        return tuple(best) if best_score >= 0 else ()

    def operation(self, verb: str, template: str) -> Operation | None:
        """The operation with this verb and exact path template, or None."""
        return next((op for op in self.operations if op.verb == verb and op.path == template), None)

    def nearest(self, path: str, verb: str | None = None) -> Operation:
        """The operation whose template is fewest segment edits away from `path` (same verb first on a tie)."""
        wanted = path_segments(path)
        kinds = [_kind(s, self.literals) for s in wanted]

        def distance(op: Operation) -> tuple:
            theirs = op.segments
            previous = list(range(len(theirs) + 1))
            for i, mine in enumerate(wanted, 1):
                current = [i]
                for j, segment in enumerate(theirs, 1):
                    if segment.startswith("{"):
                        cost = 0 if kinds[i - 1] == "value" else 1
                    else:
                        cost = 0 if mine.lower() == segment else 1
                    current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
                previous = current
            return (previous[-1], op.verb != verb, op.deprecated)

        # Two lower bounds on the edit count skip most templates without the full computation: a template k
        # segments longer or shorter is at least k edits away, and each of its fixed words that the request does not
        # contain costs at least one edit.
        mine = {segment.lower() for segment in wanted}

        def lower_bound(op: Operation) -> int:
            missing = sum(1 for segment in op.segments if not segment.startswith("{") and segment not in mine)
            return max(abs(len(op.segments) - len(wanted)), missing)

        best_key = None
        tied: list[Operation] = []
        for bound, op in sorted(((lower_bound(op), op) for op in self.operations), key=lambda pair: pair[0]):
            if best_key is not None and bound > best_key[0]:
                break
            key = distance(op)
            if best_key is None or key < best_key:
                best_key, tied = key, [op]
            elif key == best_key:
                tied.append(op)
        # Among equally near templates, the one whose text reads most like the request (difflib's ratio over the
        # whole path), then the shorter path, then the text.
        text = "/" + "/".join("{}" if kind == "value" else s.lower() for s, kind in zip(wanted, kinds))
        return min(tied, key=lambda op: (-difflib.SequenceMatcher(None, text, re.sub(r"\{[^}]*\}", "{}", op.path))
                                         .ratio(), len(op.segments), op.path))


def is_placeholder(segment: str) -> bool:
    """Whether a path segment is a written-out parameter such as {conversationId} or :id."""
    return bool(_PLACEHOLDER.match(segment))


def _kind(segment: str, literals: frozenset[str]) -> str:
    return "literal" if segment.lower() in literals and not is_placeholder(segment) else "value"


def path_segments(url_or_path: str) -> tuple[str, ...]:
    """The path's segments, from a full URL or a bare path, without the query string or empty segments."""
    return tuple(segment for segment in split_url(url_or_path)[1].split("/") if segment)


def read_document(path: Path) -> dict:
    """The data file as one dict: its header line, with the operation lines under "operations"."""
    lines = path.read_text(encoding="utf-8").splitlines()
    document = json.loads(lines[0])
    document["operations"] = [json.loads(line) for line in lines[1:] if line.strip()]
    return document


@functools.lru_cache(maxsize=1)
def load_api_paths(path: Path = DATA_FILE) -> ApiPaths:
    """The committed path list (read once)."""
    document = read_document(path)
    order = document["fields"]
    operations = []
    for row in document["operations"]:
        item = dict(zip(order, row))
        operations.append(Operation(item["verb"], item["path"], item["class"], item["method"], item["body"],
                                    item["summary"], bool(item["deprecated"]), tuple(item["headers"])))
    return ApiPaths(document["sdk"], document["version"], document["source"], tuple(operations), document["models"],
                    document["regionHosts"])
