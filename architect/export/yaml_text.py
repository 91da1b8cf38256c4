"""Deterministic block-style YAML text in which every string is quoted.

docs/reference/archy-flows.md §4 and §6: unquoted `yes`/`no` keys load as booleans under YAML 1.1, `lit: True` loads as a
bool, and an unquoted `{{placeholder}}` does not parse at all. Quoting every string value, and every key that
is not a plain identifier, keeps the file meaning the same for YAML 1.1 and 1.2 loaders, before and after
`{{key}}` substitution.
"""

from __future__ import annotations

import json
import re

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words some YAML loader reads as something other than a string (YAML 1.1 booleans and nulls).
_SPECIAL_WORDS = frozenset("y n yes no on off true false null".split())
INDENT = 2


def _key(key: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"YAML keys must be strings, not {type(key).__name__}")
    if _PLAIN_KEY.match(key) and key.lower() not in _SPECIAL_WORDS:
        return key
    return json.dumps(key)


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON string syntax is valid YAML double-quoted syntax; ASCII-only escapes avoid line-break look-alikes.
        return json.dumps(value, ensure_ascii=True)
    raise TypeError(f"unsupported YAML value {value!r}")


def _lines(value, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{_key(key)}:")
                lines.extend(_lines(item, indent + INDENT))
            else:
                lines.append(f"{pad}{_key(key)}: {_inline(item)}")
    else:
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = _lines(item, indent + INDENT)
                lines.append(f"{pad}- {nested[0].lstrip()}")
                lines.extend(nested[1:])
            else:
                lines.append(f"{pad}- {_inline(item)}")
    return lines


def _inline(value) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def render_yaml(document: dict | list, header: list[str] = ()) -> str:
    """YAML text for a document of dicts, lists, strings, ints and bools, after `# ` header comment lines."""
    lines = [f"# {line}".rstrip() for line in header]
    lines.extend(_lines(document, 0))
    return "\n".join(lines) + "\n"
