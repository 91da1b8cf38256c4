"""API-key authentication: Bearer, X-API-Key, or Basic with the key as password."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable

from flask import Request


def presented_key(request: Request) -> str | None:
    """The key the caller sent, from whichever supported header carries it, or None."""
    header_key = request.headers.get("X-API-Key")
    if header_key:
        return header_key.strip()
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer" and credentials:
        return credentials
    if scheme == "basic" and credentials:
        # Genesys's Basic Auth credential type sends user:password; the user name is free text.
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None


def key_is_valid(candidate: str | None, valid_keys: Iterable[str]) -> bool:
    """Constant-time check of candidate against every valid key (several are valid during rotation)."""
    if not candidate:
        return False
    encoded = candidate.encode("utf-8")
    matched = False
    for key in valid_keys:
        # No early exit: the time taken does not reveal which key (or how many) matched.
        matched |= hmac.compare_digest(encoded, key.encode("utf-8"))
    return matched
