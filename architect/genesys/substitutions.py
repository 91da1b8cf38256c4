"""Archy substitutions: `{{key}}` placeholders replaced as plain text before the YAML is parsed.

Archy reads `substitutions:` from its options file; the Terraform provider's `substitutions` argument does the
same plain text replace of `{{key}}` (docs/reference/archy-substitutions.md). Because the replace happens before
parsing, a placeholder may stand anywhere in the text, unquoted values and mapping keys included.
"""

from __future__ import annotations

import re

# `{{key}}`; `{{ key }}` is matched too, so a stray one is reported rather than left in a published flow.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")


def substitute(text: str, substitutions: dict[str, str]) -> str:
    """Replace each `{{key}}` with its value: a plain text replace over the whole file, as Archy/Terraform do."""
    for key, value in substitutions.items():
        text = text.replace("{{" + key + "}}", value)
    return text
