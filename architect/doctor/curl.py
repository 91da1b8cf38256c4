"""Reading a curl command line into an HttpRequest, and writing one back as a curl command.

No maintained Python library parses curl command lines, so this reads the options that carry the request
(method, URL, headers, body) as curl's manual defines them (https://curl.se/docs/manpage.html) and refuses,
by name, any option it does not know rather than guess whether it takes a value.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from architect.doctor.request import DoctorInputError
from architect.doctor.request import HttpRequest
from architect.doctor.request import parse_header

# Options that put data in the body. -d/--data/--data-ascii read @file; --data-raw does not; --json adds
# JSON Content-Type and Accept headers (curl 7.82). Several pieces are joined with "&" (JSON: concatenated).
_DATA = {"-d": "data", "--data": "data", "--data-ascii": "data", "--data-binary": "binary", "--data-raw": "raw",
         "--json": "json", "--data-urlencode": "urlencode"}
# Options that take a value and do not change what doctor looks at.
_IGNORED_WITH_VALUE = {
    "-u", "--user", "-o", "--output", "-w", "--write-out", "-A", "--user-agent", "-e", "--referer", "-b", "--cookie",
    "-c", "--cookie-jar", "-m", "--max-time", "--connect-timeout", "--retry", "-x", "--proxy", "--cacert", "-E",
    "--cert", "--key", "--resolve", "--oauth2-bearer", "-K", "--config", "--retry-delay", "--retry-max-time",
    "-D", "--dump-header", "--trace", "--trace-ascii", "--limit-rate", "--max-redirs", "--interface", "-U",
    "--proxy-user", "--capath", "--ciphers", "--noproxy",
}
_FLAGS = {
    "-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i", "--include", "-k", "--insecure", "-L",
    "--location", "--compressed", "-f", "--fail", "--fail-with-body", "-g", "--globoff", "-#", "--progress-bar",
    "--http1.1", "--http2", "--http1.0", "-N", "--no-buffer", "-n", "--netrc", "-O", "--remote-name", "-4", "-6",
    "--ipv4", "--ipv6", "--raw", "--no-progress-meter", "--location-trusted", "--tlsv1.2", "--tlsv1.3", "-q",
    "--disable", "--path-as-is", "--no-keepalive", "-Z", "--parallel", "-j", "--junk-session-cookies",
}
_SHORT_WITH_VALUE = {"-X", "-H", "-d"} | {o for o in _IGNORED_WITH_VALUE if len(o) == 2}
_SHORT_FLAGS = {o for o in _FLAGS if len(o) == 2}


def _read_at_file(value: str, option: str, stdin_text: str | None) -> str:
    if value == "@-":
        if stdin_text is None:
            raise DoctorInputError(f"{option} @- reads standard input, which is already the command line")
        return stdin_text
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DoctorInputError(f"{option} {value}: cannot read {path}: {exc.strerror or exc}") from None


def _expand_short(token: str) -> list[str]:
    """-sSX PATCH -> -s -S -X PATCH; -XPATCH -> -X PATCH; -HAuthorization:x -> -H Authorization:x."""
    if not token.startswith("-") or token.startswith("--") or len(token) <= 2:
        return [token]
    out = []
    rest = token[1:]
    while rest:
        option = "-" + rest[0]
        rest = rest[1:]
        if option in _SHORT_WITH_VALUE:
            out.append(option)
            if rest:
                out.append(rest)
            break
        if option not in _SHORT_FLAGS:
            raise DoctorInputError(f"unknown curl option {option} in {token!r}")
        out.append(option)
    return out


def split_command_line(text: str) -> list[str]:
    """Shell words of a pasted command: backslash-newline continuations joined, quotes resolved like sh does."""
    joined = re.sub(r"\\\r?\n", " ", text)
    try:
        return shlex.split(joined, comments=False, posix=True)
    except ValueError as exc:
        raise DoctorInputError(f"cannot split the command line: {exc} (an unclosed quote?)") from None


def parse_curl(words: list[str], stdin_text: str | None = None) -> HttpRequest:
    """The request a curl command line sends. `words` may start with `curl`; the URL may come anywhere."""
    if words and Path(words[0]).name == "curl":
        words = words[1:]
    if not words:
        raise DoctorInputError("empty curl command: give the URL and options, e.g. curl -X PATCH URL -d BODY")
    tokens: list[str] = []
    for word in words:
        tokens.extend(_expand_short(word))
    method = None
    urls: list[str] = []
    headers: list[tuple[str, str]] = []
    pieces: list[tuple[str, str]] = []
    upload = False
    index = 0

    def value_of(option: str) -> str:
        nonlocal index
        if "=" in option and option.startswith("--"):
            return option.split("=", 1)[1]
        index += 1
        if index >= len(tokens):
            raise DoctorInputError(f"curl option {option} needs a value")
        return tokens[index]

    while index < len(tokens):
        token = tokens[index]
        option = token.split("=", 1)[0] if token.startswith("--") else token
        if token == "--":
            urls.extend(tokens[index + 1:])
            break
        if option in ("-X", "--request"):
            method = value_of(token).upper()
        elif option in ("-H", "--header"):
            header = value_of(token)
            if header.startswith("@"):
                raise DoctorInputError(f"{option} {header}: headers from a file are not supported; give them inline")
            headers.append(parse_header(header))
        elif option in _DATA:
            kind = _DATA[option]
            value = value_of(token)
            if kind in ("data", "binary", "json", "urlencode") and value.startswith("@"):
                value = _read_at_file(value, option, stdin_text)
                if kind == "data":  # curl strips carriage returns and newlines from -d @file
                    value = value.replace("\r", "").replace("\n", "")
            pieces.append((kind, value))
        elif option == "--url":
            urls.append(value_of(token))
        elif option in ("-T", "--upload-file"):
            value_of(token)
            upload = True
        elif option in ("-G", "--get"):
            raise DoctorInputError(f"{option} sends the data as a query string; a participant update has a JSON body")
        elif option in ("-F", "--form"):
            raise DoctorInputError(f"{option} sends multipart form data; the Genesys Cloud API takes a JSON body")
        elif option in ("-I", "--head"):
            method = method or "HEAD"
        elif option in _IGNORED_WITH_VALUE:
            value_of(token)
        elif option in _FLAGS:
            pass
        elif token.startswith("-") and token != "-":
            raise DoctorInputError(f"unknown curl option {option}")
        else:
            urls.append(token)
        index += 1

    if not urls:
        raise DoctorInputError("the curl command has no URL")
    if len(urls) > 1:
        raise DoctorInputError(f"the curl command has {len(urls)} URLs ({', '.join(urls)}); give one request")
    body = None
    if pieces:
        if any(kind == "json" for kind, _ in pieces):
            body = "".join(value for _, value in pieces)
        else:
            body = "&".join(value for _, value in pieces)
        present = {name.lower() for name, _ in headers}
        # What curl adds on its own (manual, -d and --json): the request must be judged as it went out.
        if any(kind == "json" for kind, _ in pieces):
            if "content-type" not in present:
                headers.append(("Content-Type", "application/json"))
            if "accept" not in present:
                headers.append(("Accept", "application/json"))
        elif "content-type" not in present:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    if method is None:
        method = "PUT" if upload else ("POST" if pieces else "GET")
    return HttpRequest(method, urls[0], tuple(headers), body)


def parse_curl_text(text: str) -> HttpRequest:
    """The request of a curl command given as one text (stdin or a file)."""
    return parse_curl(split_command_line(text))


def render_curl(request: HttpRequest) -> str:
    """A copy-pasteable curl command for the request, one option a line."""
    lines = [f"curl -X {request.method} {shlex.quote(request.url)}"]
    lines += [f"  -H {shlex.quote(f'{name}: {value}')}" for name, value in request.headers]
    if request.body is not None:
        lines.append(f"  --data-raw {shlex.quote(request.body)}")
    return " \\\n".join(lines)
