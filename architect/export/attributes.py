"""Which output of the context action lands in which participant-data key.

Participant-data names and values are case-sensitive strings (docs/reference/archy-flows.md §3, RC-SPD). The defaults below
are documented in docs/architect.md; `--attributes FILE` (YAML or JSON, `outputField: key`) replaces them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from architect.yaml_files import InvalidYAML
from architect.yaml_files import UnreadableFile
from architect.yaml_files import load_yaml
from architect.yaml_files import read_text

# output field of /v1/context -> participant-data key
DEFAULT_ATTRIBUTES: dict[str, str] = {
    "traceparent": "traceparent",
    "ddTraceId": "dd.trace_id",
    "ddSpanId": "dd.span_id",
    "found": "crm.found",
    "degraded": "crm.degraded",
    "source": "crm.source",
    "customerId": "crm.customerId",
    "displayName": "crm.displayName",
    "tier": "crm.tier",
    "segment": "crm.segment",
    "vip": "crm.vip",
    "priority": "crm.priority",
    "preferredLanguage": "crm.preferredLanguage",
    "openCases": "crm.openCases",
}
# Set on every path of the call-data step: "ok", "failure" or "timeout".
STATUS_ATTRIBUTE = "companion.status"
STATUS_VALUES = ("ok", "failure", "timeout")
# Archy reads {{name}} as a substitution placeholder (docs/reference/archy-flows.md §6), so a key may not contain one.
_PLACEHOLDER = re.compile(r"\{\{|\}\}")
MAX_KEY_LENGTH = 256


class AttributeMapError(ValueError):
    """The attribute mapping is invalid; the message names the entry."""


def validate_attribute_map(mapping: object, outputs: Mapping[str, str], source: str = "attribute map") -> dict[str, str]:
    """Check an `outputField -> participant-data key` mapping against the action's outputs; return it as a dict."""
    if not isinstance(mapping, Mapping) or not mapping:
        raise AttributeMapError(f"{source}: must be a non-empty mapping of output field -> participant-data key")
    seen: dict[str, str] = {}
    result: dict[str, str] = {}
    for field, key in mapping.items():
        if not isinstance(field, str) or field not in outputs:
            known = ", ".join(outputs)
            raise AttributeMapError(f"{source}: {field!r} is not an output of the context action (outputs: {known})")
        if not isinstance(key, str) or not key.strip():
            raise AttributeMapError(f"{source}: {field}: the participant-data key must be a non-empty string")
        if key != key.strip() or len(key) > MAX_KEY_LENGTH or _PLACEHOLDER.search(key) or "\n" in key:
            raise AttributeMapError(
                f"{source}: {field}: key {key!r} must have no surrounding spaces, no line breaks, no '{{{{' or "
                f"'}}}}', and at most {MAX_KEY_LENGTH} characters"
            )
        if key == STATUS_ATTRIBUTE:
            raise AttributeMapError(f"{source}: {field}: {STATUS_ATTRIBUTE!r} is the status attribute; pick another key")
        if key in seen:
            raise AttributeMapError(f"{source}: {field} and {seen[key]} both map to {key!r}")
        seen[key] = field
        result[field] = key
    return result


def load_attribute_map(path: str | Path, outputs: Mapping[str, str]) -> dict[str, str]:
    """Read a YAML or JSON attribute map file and validate it against the action's outputs."""
    path = Path(path)
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        raise AttributeMapError(f"{path}: cannot read: {exc.reason}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else load_yaml(text)
    except (json.JSONDecodeError, InvalidYAML) as exc:  # str(InvalidYAML) is the parser's own report
        raise AttributeMapError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}") from None
    return validate_attribute_map(data, outputs, str(path))
