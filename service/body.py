"""Request bodies: JSON object in, schema-validated dict out, or an ApiError naming the problem."""

from __future__ import annotations

import json
import re

import marshmallow as ma
from flask import request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header

from service.compiled_loader import CompiledLoader
from service.errors import ApiError
from service.errors import validation_error

# Genesys limits JSON nesting to 50 levels (help.mypurecloud.com ?p=138534); our contracts are flat anyway.
MAX_DEPTH = 50
# JSON may escape half of a UTF-16 surrogate pair alone ("\ud800"); Python decodes it to a str that no
# UTF-8 encoder (the HMAC, SQLite, the CRM's URL, the log) accepts. A pair decodes to one character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
LONE_SURROGATE_MESSAGE = "Contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape); send valid Unicode text."
_JSON_TYPE_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean", type(None): "null"}


def _depth(value, limit: int) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > limit:
            return depth
        nxt = []
        for item in level:
            if isinstance(item, dict):
                nxt.extend(item.values())
            elif isinstance(item, list):
                nxt.extend(item)
        level = [v for v in nxt if isinstance(v, (dict, list))]
    return depth


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def lone_surrogate_fields(body: dict) -> dict[str, list[str]]:
    """{field path: [message]} for every string (or key) in body holding a lone surrogate."""
    found: dict[str, list[str]] = {}
    stack = [("", body)]
    while stack:
        prefix, value = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and _has_lone_surrogate(key):
                found[prefix.rstrip(".") or "_schema"] = [LONE_SURROGATE_MESSAGE]
                continue
            path = f"{prefix}{key}"
            if isinstance(item, str) and _has_lone_surrogate(item):
                found[path] = [LONE_SURROGATE_MESSAGE]
            elif isinstance(item, (dict, list)):
                stack.append((f"{path}.", item))
    return found


def _read_body(req) -> bytes:
    """The request body's bytes.

    A body with a Content-Length within the limit (what Architect sends) is read from the server's input
    stream at once: werkzeug's stream wrapper around it costs more than the read (docs/performance.md).
    Everything else (no length, a chunked body, a length over the limit) is werkzeug's to read or refuse.

    :raise RequestEntityTooLarge: a chunked body that reaches the limit.
    """
    length = req.content_length
    limit = req.max_content_length
    if length is not None and (limit is None or length <= limit):
        raw = req.environ["wsgi.input"].read(length)
        if len(raw) < length:
            raise ApiError(400, "bad_request", f"The request body ended after {len(raw)} of the {length} bytes "
                                               "its Content-Length announced.")
        return raw
    raw = req.get_data(cache=False)
    if length is None and limit is not None and len(raw) >= limit:
        # A chunked body (no Content-Length) is cut at the limit by werkzeug without a word; at the limit
        # we cannot tell "exactly the limit" from "more", so the limit is exclusive for chunked bodies.
        raise RequestEntityTooLarge()
    return raw


def content_type_problem(content_type: str | None) -> ApiError | None:
    """The 415 for a request's Content-Type header (the WSGI CONTENT_TYPE) that is not JSON, else None."""
    if content_type == "application/json":
        # What Architect sends is taken as it is; any other Content-Type header is parsed first.
        return None
    mimetype = parse_options_header(content_type)[0].lower()
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        return ApiError.unsupported_media_type(mimetype)
    return None


def json_object(raw: bytes) -> dict:
    """A request body's bytes as a JSON object.

    :raise ApiError: 400 for a body that is not a JSON object of valid Unicode text.
    """
    if not raw.strip():
        raise ApiError.invalid_json("the body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError.invalid_json(f"not UTF-8 (byte {exc.start})") from None
    try:
        body = json.loads(text)
    except RecursionError:
        raise ApiError.invalid_json(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ApiError.invalid_json(str(exc)) from None
    if not isinstance(body, dict):
        raise ApiError.invalid_json(f"expected a JSON object, got {_JSON_TYPE_NAMES[type(body)]}")
    if _depth(body, MAX_DEPTH) > MAX_DEPTH:
        raise ApiError.invalid_json(f"nested deeper than {MAX_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(text):
        fields = lone_surrogate_fields(body)
        if fields:
            raise ApiError.invalid_input(fields)
    return body


def parse_json_object() -> dict:
    """The request body as a JSON object.

    :raise ApiError: 415 for a non-JSON content type, 400 for a body that is not a JSON object.
    """
    req = request._get_current_object()  # one context lookup instead of one per attribute
    problem = content_type_problem(req.environ.get("CONTENT_TYPE"))
    if problem is not None:
        raise problem
    try:
        raw = _read_body(req)
    except ParseException as exc:
        # gunicorn parses a chunked body as the app reads it: a bad chunk size or trailer surfaces here.
        # gunicorn then fails to skip the rest of the body and closes the connection after this answer.
        raise ApiError(400, "bad_request", f"The request body is malformed: {str(exc)[:200]}") from None
    return json_object(raw)


def load_body(loader: CompiledLoader) -> dict:
    """Parse the JSON body and load it through the request schema's compiled loader.

    :raise ApiError: 400 invalid_input with per-field messages.
    """
    try:
        return loader.load(parse_json_object())
    except ma.ValidationError as exc:
        raise validation_error(exc.messages) from None
