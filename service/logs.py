"""Structured JSON logging: one access line per request, PII masked, no secrets."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

import orjson
from flask import Flask
from flask import g
from flask import request
from pythonjsonlogger.json import JsonFormatter

from service.request_timing import request_started

ACCESS_LOGGER = "companion.access"
CORRELATION_HEADER = "ININ-Correlation-Id"
# The header as the WSGI environ holds it (PEP 3333: HTTP_, upper case, "-" as "_"), read without the header mapping.
CORRELATION_ENVIRON_KEY = "HTTP_" + CORRELATION_HEADER.upper().replace("-", "_")
_HANDLER_MARK = "_companion_handler"
# The most of a client-supplied string (a header, the path) one access line holds: it is logged before the
# key is checked, so without a cap every unauthenticated request could write kilobytes. Genesys's
# correlation ids are UUIDs (36 characters).
MAX_LOGGED_CHARS = 128
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
ACCESS_MESSAGE = "request"


# Values orjson would write in its own way go to the formatter's encoder, as with the json module.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_line(data: dict, *, default=None, cls=None, **_unused) -> str:
    """One log line's JSON, compact and ASCII only; json.dumps's signature, as JsonFormatter calls it.

    orjson writes it (https://github.com/ijl/orjson), several times faster than the json module: that is part
    of every request's cost (docs/performance.md). A value orjson does not encode itself goes to `cls`'s
    `default` (python-json-logger's encoder: dates, exceptions...). ASCII only, because a log stream's
    encoding is not the service's to know: a line with any other character, or with anything orjson refuses
    (an integer wider than 64 bits), is written by the json module, which escapes it as \\uXXXX.
    """
    encoder_class = cls or json.JSONEncoder

    def encode_other(value):
        return encoder_class(default=default).default(value)

    try:
        text = orjson.dumps(data, default=encode_other, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text = None
    if text is not None and text.isascii():
        return text
    return json.dumps(data, default=default, cls=encoder_class, separators=(",", ":"))


def json_formatter() -> logging.Formatter:
    """The one JSON line format of every log line: the service's own and gunicorn's (service/gunicorn_conf.py)."""
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt=TIME_FORMAT,
        json_serializer=json_line,
    )


class _SecondClock:
    """The local time as TIME_FORMAT prints it, formatted once per second (the format has no fraction)."""

    def __init__(self):
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            # Formatter.formatTime's own conversion: localtime, then strftime.
            self._text, self._second = time.strftime(TIME_FORMAT, time.localtime(second)), second
        return self._text


def _sole_json_handler(logger: logging.Logger) -> logging.StreamHandler | None:
    """The service's own stream handler when it is the only one a record of `logger` reaches, with no filter
    on the way: the access line may then be written as JSON directly. None when anything else listens
    (a test's handler, propagation to the root): those get a LogRecord as usual."""
    found = None
    current = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None or not getattr(handler, _HANDLER_MARK, False):
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if found is None or found.filters or found.level > logging.INFO:
        return None
    return found


def configure_logging(level: str) -> None:
    """Send the companion.* loggers to stderr as JSON lines (idempotent: one handler however often called)."""
    root = logging.getLogger("companion")
    root.setLevel(level)
    root.propagate = False
    if any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    # The access line is written past this formatter (register_access_log), in the same shape: nothing else
    # may be put on this handler.
    handler.setFormatter(json_formatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)


def mask_phone(value: str) -> str:
    """Keep only the last 4 digits of a phone number: +13175550116 -> +*******0116."""
    if value[:1] == "+" and value[1:].isdigit():
        # E.164, what every normalised key is: the same mask without a loop over the characters.
        hidden = len(value) - 1 if len(value) - 1 <= 6 else len(value) - 5
        return "+" + "*" * hidden + value[1 + hidden:]
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


# The request global holding the fields views add to the access line.
_LOG_FIELDS = "log_fields"


def log_fields() -> dict:
    """Per-request fields a view adds to the access line (conversationId, dd ids, CRM outcome...)."""
    return g.setdefault(_LOG_FIELDS, {})


def _access_record(logger: logging.Logger, fields: dict) -> logging.LogRecord:
    return logger.makeRecord(logger.name, logging.INFO, "", 0, ACCESS_MESSAGE, (), None, extra=fields)


class AccessLog:
    """Writes the one JSON access line per request; the Flask hook (register_access_log) and the direct answers
    (service.direct_answers) both write through the app's instance, app.extensions[ACCESS_LOG]."""

    def __init__(self):
        self.logger = logging.getLogger(ACCESS_LOGGER)
        self._clock = _SecondClock()

    def write(self, method: str, path: str, status: int, started: float | None, ended: float, correlation_id: str,
              view_fields: dict) -> None:
        """The line of one answered request: `started` as request_timing stamped it (None: not stamped), `ended`
        when the answer was ready, `view_fields` what the view added (log_fields)."""
        logger = self.logger
        if logger.disabled or not logger.isEnabledFor(logging.INFO):
            return
        if "@" in path or _PHONE_RE.search(path):
            # A path can carry a caller's number or address (a 404 for /v1/customer/+1317...); masked per
            # segment so the route stays readable.
            path = "/".join(mask_pii(segment) for segment in path.split("/"))
        fields = {
            "method": method,
            "path": clip(path, 2 * MAX_LOGGED_CHARS),
            "status": status,
            "duration_ms": round((ended - (started or ended)) * 1000, 3),
            "ininCorrelationId": clip(correlation_id),
        }
        fields.update(view_fields)
        handler = _sole_json_handler(logger)
        if handler is not None:
            self._write_line(handler, fields)
        else:
            # logger.info() would first walk the stack for the caller's file and line, which the JSON line
            # does not carry: a third of the cost of logging a request.
            logger.handle(_access_record(logger, fields))

    def _write_line(self, handler: logging.StreamHandler, fields: dict) -> None:
        # The line json_formatter() would make of the record, serialised once: logging's record, formatter and
        # python-json-logger's field walk were about half the cost of the service's own work per request.
        line = json_line({"time": self._clock.now(), "level": "INFO", "logger": ACCESS_LOGGER,
                          "message": ACCESS_MESSAGE, **fields}, default=str)
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.stream.flush()
        except Exception:
            # As StreamHandler.emit does: a broken log stream is reported on stderr, the request still answered.
            handler.handleError(_access_record(self.logger, fields))
        finally:
            handler.release()


# The app's AccessLog, in app.extensions.
ACCESS_LOG = "companion.access_log"


def register_access_log(app: Flask) -> None:
    """Emit one JSON line per request with status, duration and correlation ids."""
    access_log = app.extensions[ACCESS_LOG] = AccessLog()

    @app.after_request
    def _log_request(response):
        ended = time.perf_counter()
        req = request._get_current_object()  # one context lookup instead of one per attribute
        environ = req.environ
        access_log.write(req.method, req.path, response.status_code, request_started(environ), ended,
                         environ.get(CORRELATION_ENVIRON_KEY, ""), g._get_current_object().get(_LOG_FIELDS, {}))
        return response
