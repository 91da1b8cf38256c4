"""Domain errors and the one handler that turns every failure into the JSON error shape."""

from __future__ import annotations

import logging

from flask import Flask
from flask import jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("companion.errors")

# Stable codes per HTTP status, for failures raised by Flask/werkzeug rather than by our code.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    417: "expectation_failed",
    429: "too_many_requests",
    431: "header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}


def error_code(status: int) -> str:
    """The stable error code for an HTTP status."""
    return _CODES.get(status, "http_error")


class ApiError(Exception):
    """A failure with an HTTP status, a stable code, a message and optional per-field messages."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}

    @classmethod
    def invalid_input(cls, fields: dict, message: str = "The request body is invalid.") -> ApiError:
        return cls(400, "invalid_input", message, fields=fields)

    @classmethod
    def invalid_json(cls, reason: str) -> ApiError:
        return cls(400, "invalid_json", f"The request body is not valid JSON: {reason}")

    @classmethod
    def unsupported_media_type(cls, mimetype: str) -> ApiError:
        return cls(415, "unsupported_media_type", f"Expected Content-Type application/json, got {mimetype!r}.")

    @classmethod
    def unauthorized(cls) -> ApiError:
        return cls(
            401,
            "unauthorized",
            "Missing or invalid API key: send Authorization: Bearer <key>, X-API-Key: <key>, "
            "or Basic auth with the key as password.",
            headers={"WWW-Authenticate": 'Bearer realm="architect-companion"'},
        )

    @classmethod
    def unavailable(cls, reason: str) -> ApiError:
        return cls(503, "unavailable", reason)

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


def _normalise_fields(messages) -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages to {field: [message, ...]} with string values only."""
    if not isinstance(messages, dict):
        return {"_schema": [str(m) for m in (messages if isinstance(messages, list) else [messages])]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            for sub, sub_value in _normalise_fields(value).items():
                flat[f"{key}.{sub}"] = sub_value
        elif isinstance(value, list):
            flat[str(key)] = [str(v) for v in value]
        else:
            flat[str(key)] = [str(value)]
    return flat


def validation_error(messages) -> ApiError:
    """An invalid_input ApiError from marshmallow ValidationError.messages."""
    return ApiError.invalid_input(_normalise_fields(messages))


def _respond(error: ApiError):
    response = jsonify(error.to_dict())
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Every failure, ours or werkzeug's or unexpected, answers with the same JSON shape."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return _respond(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"The request body is larger than the limit of {limit} bytes."
        headers = {}
        if status == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return _respond(ApiError(status, error_code(status), message, headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        # The traceback goes to the log only; the caller gets no internals.
        log.exception("unhandled error", extra={"error_type": type(error).__name__})
        return _respond(ApiError(500, "internal_error", "An unexpected error occurred; see the service log."))
