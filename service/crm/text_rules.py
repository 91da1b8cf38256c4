"""The rules every CRM text value obeys before it reaches Genesys, whichever backend it came from.

One policy for the CSV import (a row breaking one is rejected, with the reason) and the HTTP backend (the
field gets its default and the warning line names it), so the same record is served the same way from
either. Why each rule (docs/crm.md, "Unsafe values"):

- Control characters (C0, DEL and C1, ANSI escape sequences included) and lone UTF-16 surrogates:
  participant data is shown to agents, written to logs and exported; none of them belongs in a name.
- Spreadsheet formulas: a value starting with =, +, - or @ is run as a formula when an export holding it
  is opened in a spreadsheet (OWASP, https://owasp.org/www-community/attacks/CSV_Injection); participant
  data ends up in Genesys's exports. A plain signed number ("-5", "+44") is a number there, not a formula.
- Length: at most MAX_TEXT_LENGTH characters, the lookup keys' own bound.
"""

from __future__ import annotations

import re

from schemas.customer import KEY_MAX_LENGTH

MAX_TEXT_LENGTH = KEY_MAX_LENGTH
FORMULA_PREFIXES = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SIGNED_NUMBER = re.compile(r"^[+-]\d+(?:[.,]\d+)?$")


def text_problem(value: str, *, formulas: bool = True) -> str | None:
    """Why value may not be served, or None. formulas=False for values normalised afterwards (a phone
    number becomes E.164, which starts with "+")."""
    if len(value) > MAX_TEXT_LENGTH:
        return f"is longer than {MAX_TEXT_LENGTH} characters"
    if _CONTROL.search(value):
        return "contains control characters"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone UTF-16 surrogate"
    if formulas and value.startswith(FORMULA_PREFIXES) and not _SIGNED_NUMBER.match(value):
        return f"starts with {value[0]!r}, which a spreadsheet runs as a formula"
    return None
