"""The service's own log lines, captured: its one handler, alone on its logger, writing to a buffer."""

from __future__ import annotations

import contextlib
import io
import logging


@contextlib.contextmanager
def service_handler_alone():
    """Within: the service's own handler is the only one on its logger (pytest's capture handlers, which
    pytest puts back for each test phase, set aside), writing to a buffer."""
    root = logging.getLogger("companion")
    before = root.handlers[:]
    (handler,) = [h for h in before if getattr(h, "_companion_handler", False)]
    root.handlers[:] = [handler]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
        root.handlers[:] = before
