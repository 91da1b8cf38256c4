"""Structured JSON logging: one access line per request, PII masked, no secrets."""

from __future__ import annotations

import logging
import re
import sys
import time

from flask import Flask
from flask import g
from flask import request
from pythonjsonlogger.json import JsonFormatter

ACCESS_LOGGER = "companion.access"
CORRELATION_HEADER = "ININ-Correlation-Id"
_HANDLER_MARK = "_companion_handler"
# The most of a client-supplied string (a header, the path) one access line holds: it is logged before the
# key is checked, so without a cap every unauthenticated request could write kilobytes. Genesys's
# correlation ids are UUIDs (36 characters).
MAX_LOGGED_CHARS = 128


def json_formatter() -> logging.Formatter:
    """The one JSON line format of every log line: the service's own and gunicorn's (service/gunicorn_conf.py)."""
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(level: str) -> None:
    """Send the companion.* loggers to stderr as JSON lines (idempotent: one handler however often called)."""
    root = logging.getLogger("companion")
    root.setLevel(level)
    root.propagate = False
    if any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)


def mask_phone(value: str) -> str:
    """Keep only the last 4 digits of a phone number: +13175550116 -> +*******0116."""
    digits = sum(c.isdigit() for c in value)
    keep = 4 if digits > 6 else 0
    out, seen = [], 0
    for c in value:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - keep else "*")
        else:
            out.append(c)
    return "".join(out)


def mask_email(value: str) -> str:
    """Keep the first character of the local part and the domain: jane.doe@example.com -> j***@example.com."""
    local, sep, domain = value.partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


_EMAIL_RE = re.compile(r"[^\s@\"']+@[^\s@\"']+")
_PHONE_RE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def mask_pii(text: str) -> str:
    """Mask every e-mail address and phone-number-like run in free text."""
    text = _EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def clip(text: str, limit: int = MAX_LOGGED_CHARS) -> str:
    """text, or its first `limit` characters and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...({len(text)} chars)"


def log_fields() -> dict:
    """Per-request fields a view adds to the access line (conversationId, dd ids, CRM outcome...)."""
    return g.setdefault("log_fields", {})


def register_access_log(app: Flask) -> None:
    """Emit one JSON line per request with status, duration and correlation ids."""
    logger = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        ended = time.perf_counter()
        context = g._get_current_object()  # one context lookup instead of one per attribute
        req = request._get_current_object()
        path = req.path
        if "@" in path or _PHONE_RE.search(path):
            # A path can carry a caller's number or address (a 404 for /v1/customer/+1317...); masked per
            # segment so the route stays readable.
            path = "/".join(mask_pii(segment) for segment in path.split("/"))
        fields = {
            "method": req.method,
            "path": clip(path, 2 * MAX_LOGGED_CHARS),
            "status": response.status_code,
            "duration_ms": round((ended - context.get("request_started", ended)) * 1000, 3),
            "ininCorrelationId": clip(req.headers.get(CORRELATION_HEADER, "")),
        }
        fields.update(context.get("log_fields", {}))
        if logger.isEnabledFor(logging.INFO):
            # logger.info() would first walk the stack for the caller's file and line, which the JSON line
            # does not carry: a third of the cost of logging a request.
            logger.handle(logger.makeRecord(logger.name, logging.INFO, "", 0, "request", (), None, extra=fields))
        return response
