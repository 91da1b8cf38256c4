"""Values as the transcript shows them: Architect text where there is one."""

from __future__ import annotations

from architect.runtime.flow.values import NOT_SET, Audio, ExpressionError, Prompt, to_architect_string

SHOWN_CHARS = 120


def text_of(value) -> str:
    """A value as the transcript shows it (Architect text where there is one)."""
    if value is NOT_SET:
        return "NOT_SET"
    if isinstance(value, Audio):
        return value.text()
    if isinstance(value, Prompt):
        return f"prompt {value.name}"
    if isinstance(value, list):
        return "[" + ", ".join(text_of(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {text_of(v)}" for k, v in value.items()) + "}"
    try:
        return to_architect_string(value)
    except ExpressionError:
        return repr(value)


def show(value) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."
