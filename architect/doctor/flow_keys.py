"""Which participant-data keys an Archy flow sets (Set Participant Data) and reads (Get Participant Data)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from architect.doctor.request import DoctorInputError
from architect.yaml_files import InvalidYAML
from architect.yaml_files import UnreadableFile
from architect.yaml_files import load_yaml
from architect.yaml_files import read_text


@dataclasses.dataclass(frozen=True)
class FlowKeys:
    """The flow file, and the literal attribute names its setParticipantData and getParticipantData actions use."""

    file: str
    sets: frozenset[str]
    reads: frozenset[str]


def _names(node, action: str) -> set[str]:
    found: set[str] = set()
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == action and isinstance(value, Mapping) and isinstance(value.get("attributes"), list):
                for item in value["attributes"]:
                    attribute = item.get("attribute") if isinstance(item, Mapping) else None
                    name = attribute.get("name") if isinstance(attribute, Mapping) else None
                    # Archy writes the name as {lit: "key"}; an expression name cannot be known before the call.
                    if isinstance(name, Mapping) and isinstance(name.get("lit"), str):
                        found.add(name["lit"])
                    elif isinstance(name, str):
                        found.add(name)
            found |= _names(value, action)
    elif isinstance(node, list):
        for value in node:
            found |= _names(value, action)
    return found


def flow_keys(path: str | Path) -> FlowKeys:
    """Read an Archy flow YAML file; DoctorInputError when it cannot be read or parsed."""
    path = Path(path)
    try:
        document = load_yaml(read_text(path))
    except UnreadableFile as exc:
        raise DoctorInputError(f"--flow {path}: cannot read it: {exc.reason}") from None
    except InvalidYAML as exc:
        raise DoctorInputError(f"--flow {path}: not valid YAML: {exc.detail}") from None
    if not isinstance(document, Mapping):
        raise DoctorInputError(f"--flow {path}: not an Archy flow (the top level is not a mapping)")
    return FlowKeys(str(path), frozenset(_names(document, "setParticipantData")),
                    frozenset(_names(document, "getParticipantData")))
