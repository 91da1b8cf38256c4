"""The HTTP request doctor examines: method, URL, headers and body, as the caller sent it."""

from __future__ import annotations

import dataclasses
import json


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
