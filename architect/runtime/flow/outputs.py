"""An action's output paths: the actions list of the branch an action takes (yes/no, success/failure, ...)."""

from __future__ import annotations


def branch(outputs, name: str):
    """The actions list of output `name` (yes/no also under the booleans an unquoted key loads as), or None."""
    if not isinstance(outputs, dict):
        return None
    entry = outputs.get(name)
    if entry is None and name in ("yes", "no"):
        entry = outputs.get(name == "yes")  # a YAML 1.1 reader makes unquoted yes:/no: keys True/False
    if entry is None:
        return None
    if isinstance(entry, dict):
        return entry.get("actions") or []
    return []
