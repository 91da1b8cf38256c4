"""What the HTTP backend sends to find one customer: method, URL, JSON body and headers (docs/crm.md).

The generic backend builds it from COMPANION_CRM_METHOD, COMPANION_CRM_URL_TEMPLATE, COMPANION_CRM_BODY_TEMPLATE
and COMPANION_CRM_HEADERS; the vendor presets (service/crm/presets/) build it in code.
"""

from __future__ import annotations

import dataclasses
import json
import re
import string
from collections.abc import Mapping
from urllib.parse import quote

from service.crm.base import KEY_ORDER

METHODS = ("GET", "POST")
# RFC 9110 §5.6.2 token: the characters allowed in a header name.
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Headers the backend sets itself: a template may not change how the body is framed or encoded.
_RESERVED_HEADERS = frozenset({"content-length", "transfer-encoding", "host", "content-encoding", "connection"})
# RFC 3986 §3.3 / §5.2.4: a path segment "." or ".." is removed or climbs a level when the URL is resolved.
DOT_SEGMENTS = frozenset({".", ".."})
_PLACEHOLDER = re.compile(r"\{(" + "|".join(KEY_ORDER) + r")\}")


@dataclasses.dataclass(frozen=True)
class OutgoingRequest:
    """One request to the CRM; `record_path` overrides where the record sits in this request's answer."""

    method: str
    url: str
    body: bytes | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    record_path: str | None = None

    @property
    def cache_key(self) -> str:
        """Equal for requests that must get the same answer (never holds the headers, which hold secrets)."""
        return f"{self.method} {self.url}\n{(self.body or b'').decode('utf-8')}"


def url_placeholders(template: str) -> set[str]:
    """The lookup keys a URL template uses, e.g. {"phone"} for https://crm/contacts?phone={phone}.

    :raise ValueError: unknown placeholders, format specs or unbalanced braces.
    """
    names = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"is not a valid template ({exc}; write a literal brace as {{{{ or }}}})") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in KEY_ORDER or spec or conversion:
            raise ValueError(f"has the placeholder {{{name}}}; allowed: {', '.join('{' + k + '}' for k in KEY_ORDER)}")
        names.add(name)
    return names


def path_placeholders(template: str) -> set[str]:
    """The placeholders in the template's path (before any "?"), where a dot segment would move the URL."""
    path_part = template.split("?", 1)[0].split("#", 1)[0]
    return {name for _, name, _, _ in string.Formatter().parse(path_part) if name}


def parse_body_template(text: str) -> object:
    """The JSON document of COMPANION_CRM_BODY_TEMPLATE; placeholders go inside its strings ("{phone}").

    :raise ValueError: not JSON.
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f'is not JSON ({exc}); put placeholders inside strings, e.g. {{"phone": "{{phone}}"}}') from None


def body_placeholders(document: object) -> set[str]:
    """The lookup keys used in the strings (keys and values) of a body template document."""
    found: set[str] = set()
    if isinstance(document, str):
        found.update(_PLACEHOLDER.findall(document))
    elif isinstance(document, list):
        for item in document:
            found |= body_placeholders(item)
    elif isinstance(document, dict):
        for key, value in document.items():
            found |= body_placeholders(key) | body_placeholders(value)
    return found


def fill_body(document: object, values: Mapping[str, str]) -> object:
    """The body template with each placeholder replaced inside its string; json.dumps escapes the values,
    so a caller's `"` or `\\` can never end a string or add a filter."""
    if isinstance(document, str):
        return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), document)
    if isinstance(document, list):
        return [fill_body(item, values) for item in document]
    if isinstance(document, dict):
        return {fill_body(key, values): fill_body(value, values) for key, value in document.items()}
    return document


def encode_json(document: object) -> bytes:
    """A JSON request body: compact, UTF-8, with non-ASCII characters escaped."""
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def parse_headers(value: object) -> dict[str, str]:
    """COMPANION_CRM_HEADERS as {name: value}: a JSON object of one-line strings with valid names.

    :raise ValueError: without repeating any value (they may be secrets).
    """
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError('must be a JSON object, e.g. {"X-Api-Key": "...", "Accept-Language": "en"}') from None
    if not isinstance(value, dict):
        raise ValueError('must be a JSON object, e.g. {"X-Api-Key": "...", "Accept-Language": "en"}')
    headers = {}
    for name, text in value.items():
        if not isinstance(name, str) or not HEADER_NAME.match(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP header name")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"header {name} is set by the HTTP client and cannot be configured")
        if not isinstance(text, str) or not text or any(c in text for c in "\r\n\0"):
            raise ValueError(f"header {name}: the value must be a non-empty one-line string")
        headers[name] = text
    return headers


class TemplateRequest:
    """The generic backend's request, from the settings' method, URL template, body template and headers."""

    def __init__(self, method: str, url_template: str, body_template: str = "", headers: Mapping[str, str] = ()):
        self.method = method
        self._url = url_template
        self._in_url = url_placeholders(url_template)
        self._in_path = path_placeholders(url_template)
        self._body = parse_body_template(body_template) if body_template else None
        self._in_body = body_placeholders(self._body) if self._body is not None else set()
        self.keys = frozenset(self._in_url | self._in_body)
        self._headers = dict(headers)
        if self._body is not None:
            self._headers.setdefault("Content-Type", "application/json")

    def build(self, key: str, value: str) -> OutgoingRequest | None:
        """The request that looks the customer up by `key`; None when that value cannot be sent."""
        if key in self._in_path and value in DOT_SEGMENTS:
            # "/customers/{customerId}" with ".." would be /customers/.. , i.e. /: another resource, our
            # credentials included. No customer has such an id.
            return None
        in_url = {name: "" for name in self._in_url}
        if key in self._in_url:
            # safe="": "+" in E.164 and "@" in e-mail addresses must reach the CRM encoded, in a path or a query.
            in_url[key] = quote(value, safe="")
        body = None
        if self._body is not None:
            body = encode_json(fill_body(self._body, {key: value}))
        return OutgoingRequest(self.method, self._url.format_map(in_url), body, self._headers)
