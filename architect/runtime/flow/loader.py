"""Load an Archy flow YAML file: `{{key}}` substitution from an options file, then YAML, then the flow's shape."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from architect.genesys.flow_types import FLOW_TYPES
from architect.genesys.substitutions import PLACEHOLDER as _PLACEHOLDER
from architect.genesys.substitutions import substitute
from architect.yaml_files import InvalidYAML
from architect.yaml_files import UnreadableFile
from architect.yaml_files import load_yaml
from architect.yaml_files import read_text

# Root keys the runner interprets; other flow types load but do not run. The message flows and workflows run the
# actions they share with call flows (their states run as tasks do).
RUNNABLE_TYPES = ("inboundCall", "inqueueCall", "secureCall", "inboundEmail", "inboundShortMessage", "inboundChat",
                  "workflow")
# "startUpRef: ./tasks/task[startingTask]" or "/inboundCall/menus/menu[Main Menu_10]" (§1).
_REF = re.compile(r"^(?:/(?P<root>[A-Za-z]+)|\.)/(?P<group>tasks|menus|states)/(?P<kind>task|menu|state)\[(?P<ref>.*)\]$")


class FlowLoadError(ValueError):
    """A flow or options file cannot be read, substituted, parsed, or does not have a flow's shape."""


@dataclass
class Flow:
    """A parsed flow: its type (root key), its settings and its tasks and menus by refId."""

    kind: str
    name: str
    root: dict
    source: str
    tasks: dict = field(default_factory=dict)  # refId -> task mapping
    menus: dict = field(default_factory=dict)  # refId -> menu mapping
    states: dict = field(default_factory=dict)  # refId -> state mapping (message, email, chat flows)

    def resolve_ref(self, ref: str, path: str) -> tuple[str, str, dict]:
        """("task"|"menu", refId, definition) for a task or menu reference; FlowLoadError naming path if none."""
        match = _REF.match(ref.strip()) if isinstance(ref, str) else None
        if match is None:
            raise FlowLoadError(f"{path}: {ref!r} is not a task or menu reference "
                                f"(expected /{self.kind}/tasks/task[refId], ./menus/menu[refId] or ./states/state[refId])")
        if match["root"] and match["root"] != self.kind:
            raise FlowLoadError(f"{path}: {ref!r} points into /{match['root']}, but this flow is /{self.kind}")
        table = {"task": self.tasks, "menu": self.menus, "state": self.states}[match["kind"]]
        if match["ref"] not in table:
            known = ", ".join(sorted(table)) or "none"
            raise FlowLoadError(f"{path}: {ref!r}: no {match['kind']} with refId {match['ref']!r} (known: {known})")
        return match["kind"], match["ref"], table[match["ref"]]


def read_options(path: str | Path) -> dict[str, str]:
    """The `substitutions:` map of an Archy options file (§6) as key -> text."""
    path = Path(path)
    document = _parse_yaml(_read(path, "options"), str(path))
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise FlowLoadError(f"{path}: an options file is a YAML mapping, got {type(document).__name__}")
    substitutions = document.get("substitutions", {})
    if substitutions is None:
        return {}
    if not isinstance(substitutions, dict):
        raise FlowLoadError(f"{path}: substitutions must be a mapping of key: value, "
                            f"got {type(substitutions).__name__}")
    result = {}
    for key, value in substitutions.items():
        if isinstance(value, bool):
            text_value = "true" if value else "false"  # YAML 1.1 yes/true: Archy would see the JS text
        elif isinstance(value, int | float | str):
            text_value = str(value)
        else:
            raise FlowLoadError(f"{path}: substitutions.{key} must be a scalar (text), got "
                                f"{'nothing' if value is None else type(value).__name__}")
        result[str(key)] = text_value
    return result


def _leftover_placeholders(document) -> list[str]:
    """Placeholders still in the parsed document's keys and values (comments do not count), in order."""
    found: dict[str, None] = {}
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(reversed([item for pair in node.items() for item in pair]))
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, str) and "{{" in node:
            for match in _PLACEHOLDER.finditer(node):
                found.setdefault(match.group(0))
    return list(found)


def _placeholder_error(text: str, placeholders: list[str], substitutions: dict, source: str) -> FlowLoadError:
    described = []
    for placeholder in placeholders:
        lines = [str(number) for number, line in enumerate(text.splitlines(), 1)
                 if placeholder in line and not line.split(placeholder, 1)[0].lstrip().startswith("#")]
        described.append(f"{placeholder} (line{'s' if len(lines) > 1 else ''} {', '.join(lines)})" if lines
                         else placeholder)
    hint = ("the options file has no such key under substitutions:" if substitutions
            else "no options file with substitutions: was given")
    return FlowLoadError(f"{source}: unknown placeholder{'s' if len(described) > 1 else ''} "
                         f"{', '.join(described)}: {hint}")


def _read(path: Path, what: str) -> str:
    try:
        return read_text(path)
    except UnreadableFile as exc:
        if exc.not_utf8:
            raise FlowLoadError(f"{path}: not UTF-8 text: {exc.reason}") from None
        raise FlowLoadError(f"{path}: cannot read the {what} file: {exc.reason}") from None


def _parse_yaml(text: str, source: str):
    try:
        return load_yaml(text)
    except InvalidYAML as exc:
        raise FlowLoadError(f"{source}: {exc.summary()}") from None


def parse_flow(text: str, substitutions: dict[str, str] | None = None, source: str = "flow") -> Flow:
    """Substitute, parse and index a flow document given as text."""
    substitutions = substitutions or {}
    text = substitute(text, substitutions)
    try:
        document = _parse_yaml(text, source)
    except FlowLoadError:
        # An unquoted {{key}} does not even parse ("unhashable key"); the placeholder is the news, not the YAML.
        leftover = list(dict.fromkeys(m.group(0) for m in _PLACEHOLDER.finditer(text)))
        if leftover:
            raise _placeholder_error(text, leftover, substitutions, source) from None
        raise
    leftover = _leftover_placeholders(document)
    if leftover:
        raise _placeholder_error(text, leftover, substitutions, source)
    if not isinstance(document, dict) or len(document) != 1:
        raise FlowLoadError(f"{source}: a flow file has exactly one root key naming its type "
                            f"(e.g. inboundCall), got {_describe_root(document)}")
    kind, root = next(iter(document.items()))
    if kind == "task":
        raise FlowLoadError(f"{source}: a task snippet, not a flow (its root key is task:); paste it as one item of "
                            "a flow's tasks: list, as archy publish needs a flow type at the root")
    if kind not in FLOW_TYPES:
        raise FlowLoadError(f"{source}: unknown flow type {kind!r} (expected one of {', '.join(sorted(FLOW_TYPES))})")
    if not isinstance(root, dict):
        raise FlowLoadError(f"{source}: /{kind} must be a mapping, got {type(root).__name__}")
    name = root.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FlowLoadError(f"{source}: /{kind}/name is required (a flow is identified by name and type)")
    flow = Flow(kind=kind, name=name, root=root, source=source)
    for group, item, table in (("tasks", "task", flow.tasks), ("menus", "menu", flow.menus),
                               ("states", "state", flow.states)):
        entries = root.get(group) or []
        if not isinstance(entries, list):
            raise FlowLoadError(f"{source}: /{kind}/{group} must be a list, got {type(entries).__name__}")
        for index, entry in enumerate(entries):
            where = f"/{kind}/{group}[{index}]"
            body = entry.get(item) if isinstance(entry, dict) else None
            if not isinstance(body, dict):
                raise FlowLoadError(f"{source}: {where} must be `- {item}: {{...}}`")
            ref = body.get("refId")
            if not isinstance(ref, str) or not ref:
                raise FlowLoadError(f"{source}: {where}/{item} has no refId")
            if ref in table:
                raise FlowLoadError(f"{source}: {where}/{item}: refId {ref!r} is used twice")
            table[ref] = body
    return flow


def _describe_root(document) -> str:
    if isinstance(document, dict):
        return f"keys {', '.join(map(str, document)) or 'none'}"
    return "nothing" if document is None else type(document).__name__


def load_flow(path: str | Path, substitutions: dict[str, str] | None = None) -> Flow:
    """Read FLOW.yaml, apply substitutions and parse it; FlowLoadError names the file and the problem."""
    path = Path(path)
    return parse_flow(_read(path, "flow"), substitutions, str(path))
