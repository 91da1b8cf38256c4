"""API-key authentication: Bearer, X-API-Key, or Basic with the key as password."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from collections.abc import Mapping


# Optional whitespace around a header value is spaces and tabs only (RFC 9110 §5.6.3); anything else, a
# non-breaking space included, is part of the value and so of the key.
_OWS = " \t"


def presented_key(environ: Mapping[str, str]) -> str | None:
    """The key the caller sent, from whichever supported header of the request's WSGI environ carries it, or None.

    A request may carry its key in X-API-Key and in Authorization at once only if it is the same key in
    both: a wrong key never passes because a good one rides along in the other header (None: a 401).
    """
    # Read from the WSGI environ, where request.headers would look them up too: the header mapping costs
    # a key conversion per lookup, on every request.
    header_key = (environ.get("HTTP_X_API_KEY") or "").strip(_OWS) or None
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    authorization_key = _authorization_key(authorization) if authorization else None
    if header_key is not None and authorization:
        return header_key if header_key == authorization_key else None
    return header_key or authorization_key


def _authorization_key(authorization: str) -> str | None:
    scheme, _, credentials = authorization.strip(_OWS).partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip(_OWS)
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
