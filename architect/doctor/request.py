"""The HTTP request doctor examines: method, URL, headers and body, as the caller sent it."""

from __future__ import annotations

import dataclasses
import json
import re
from urllib.parse import urlsplit


def split_url(url: str) -> tuple[str, str]:
    """(origin, path) of a URL as curl reads it: `scheme://host`, lower-cased ('' for a bare path), and the path
    without query or fragment. A URL without a scheme (`api.mypurecloud.com/api/v2/...`) is http, as in curl."""
    text = url.strip()
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) and not text.startswith("/"):
        text = "http://" + text
    parts = urlsplit(text)
    origin = f"{parts.scheme}://{parts.netloc}".lower() if parts.netloc else ""
    return origin, parts.path or "/"


class DoctorInputError(ValueError):
    """The request given to doctor cannot be read (a bad curl command line, a missing URL, an unreadable file)."""


@dataclasses.dataclass(frozen=True)
class HttpRequest:
    """One HTTP request: method, URL, headers in the order given, and the body text (None when there is none)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None

    def header(self, name: str) -> str | None:
        """The last value of a header, matched case-insensitively (HTTP field names are case-insensitive)."""
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found

    def json_body(self):
        """The body parsed as JSON; raises ValueError with the parser's message when it is not JSON."""
        if self.body is None or not self.body.strip():
            raise ValueError("the request has no body")
        return json.loads(self.body)

    def as_dict(self) -> dict:
        """The request as a JSON-ready dict (for --json)."""
        return {"method": self.method, "url": self.url, "headers": [list(h) for h in self.headers], "body": self.body}


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value` -> (name, value); DoctorInputError when there is no colon or no name."""
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise DoctorInputError(f"header {text!r} is not `Name: value`")
    return name.strip(), value.strip()


def request_from_parts(method: str | None, url: str, headers: list[str] | tuple[str, ...] = (),
                       body: str | None = None) -> HttpRequest:
    """A request from --method, --url, --header and --body (method PATCH when omitted)."""
    if not url or not url.strip():
        raise DoctorInputError("--url is empty")
    verb = (method or "PATCH").strip().upper()
    if not verb.isalpha():
        raise DoctorInputError(f"--method {method!r} is not an HTTP method")
    return HttpRequest(verb, url.strip(), tuple(parse_header(h) for h in headers), body)


_REQUEST_LINE = re.compile(r"^([A-Za-z]+)\s+(\S+)(?:\s+HTTP/\d(?:\.\d)?)?\s*$")


def looks_like_http_message(text: str) -> bool:
    """Whether text starts with an HTTP request line (`PATCH /api/v2/... HTTP/1.1`)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return bool(_REQUEST_LINE.match(first))


def parse_http_message(text: str) -> HttpRequest:
    """A request written out as HTTP: request line, header lines, then the body.

    Posted requests often leave out the blank line before the body, so the headers also end at the first line
    that opens a JSON value (`{` or `[`). A Host header turns a bare path into a URL.
    """
    lines = text.strip().splitlines()
    if not lines or not _REQUEST_LINE.match(lines[0]):
        raise DoctorInputError("not an HTTP request: the first line must be `METHOD /path [HTTP/1.1]`")
    method, target = _REQUEST_LINE.match(lines[0]).groups()
    headers: list[tuple[str, str]] = []
    index = 1
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            break
        if line.lstrip().startswith(("{", "[")):
            break
        headers.append(parse_header(line))
        index += 1
    body = "\n".join(lines[index:]).strip() or None
    host = next((value for name, value in headers if name.lower() == "host"), None)
    url = f"https://{host}{target}" if host and target.startswith("/") else target
    return HttpRequest(method.upper(), url, tuple(headers), body)
