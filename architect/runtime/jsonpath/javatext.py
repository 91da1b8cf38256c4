"""Java text rules Jayway relies on: Utils.unescape, Integer.parseInt, BigDecimal parsing and printing."""

from __future__ import annotations

import re
from decimal import Decimal

# Utils.unescape: https://github.com/json-path/JsonPath/blob/master/json-path/src/main/java/com/jayway/jsonpath/internal/Utils.java
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "r": "\r", "f": "\f", "t": "\t", "n": "\n", "b": "\b"}
_INT = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class JavaNumberFormat(ValueError):
    """Java's NumberFormatException."""


def unescape(text: str) -> str:
    """Jayway's Utils.unescape: \\n \\t \\r \\f \\b \\\\ \\' \\" and \\uXXXX; another escaped char is itself."""
    if "\\" not in text:
        return text
    out = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        if index + 1 >= length:
            out.append("\\")  # a trailing backslash is kept
            break
        escaped = text[index + 1]
        if escaped == "u":
            digits = text[index + 2:index + 6]
            if len(digits) < 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise JavaNumberFormat(f"Unable to parse unicode value: {digits}")
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        out.append(_ESCAPES.get(escaped, escaped))
        index += 2
    joined = "".join(out)
    # \uD83D\uDE00 (a UTF-16 surrogate pair, as Java writes it) is one character.
    return joined.encode("utf-16", "surrogatepass").decode("utf-16") if _has_surrogate(joined) else joined


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def parse_int(text: str) -> int:
    """Integer.parseInt: optional sign, ASCII digits, within 32 bits."""
    if not _INT.match(text):
        raise JavaNumberFormat(f"For input string: {text!r}")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise JavaNumberFormat(f"For input string: {text!r} (out of the 32-bit range)")
    return value


def parse_decimal(text: str) -> Decimal:
    """new BigDecimal(text)."""
    if not _DECIMAL.match(text):
        raise JavaNumberFormat(f"Character array is not a valid decimal number: {text!r}")
    return Decimal(text)


def java_double_text(value: float) -> str:
    """Double.toString: plain between 10^-3 and 10^7, else d.ddd...E<n>; the same shortest digits as repr()."""
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return ("-" if sign else "") + f"{text[0]}.{text[1:] or '0'}E{exponent + len(digits) - 1}"


def decimal_of(value) -> Decimal:
    """The BigDecimal Jayway builds from a JSON number: new BigDecimal(number.toString())."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(java_double_text(value))
