"""Request bodies: JSON object in, schema-validated dict out, or an ApiError naming the problem."""

from __future__ import annotations

import json

import marshmallow as ma
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from service.errors import ApiError
from service.errors import validation_error

# Genesys limits JSON nesting to 50 levels (help.mypurecloud.com ?p=138534); our contracts are flat anyway.
MAX_DEPTH = 50
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


def parse_json_object() -> dict:
    """The request body as a JSON object.

    :raise ApiError: 415 for a non-JSON content type, 400 for a body that is not a JSON object.
    """
    req = request._get_current_object()  # one context lookup instead of one per attribute
    mimetype = req.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError.unsupported_media_type(mimetype)
    raw = req.get_data(cache=False)
    limit = req.max_content_length
    if req.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body (no Content-Length) is cut at the limit by werkzeug without a word; at the limit
        # we cannot tell "exactly the limit" from "more", so the limit is exclusive for chunked bodies.
        raise RequestEntityTooLarge()
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
    return body


def load_body(schema: ma.Schema) -> dict:
    """Parse the JSON body and load it through schema.

    :raise ApiError: 400 invalid_input with per-field messages.
    """
    try:
        return schema.load(parse_json_object())
    except ma.ValidationError as exc:
        raise validation_error(exc.messages) from None
