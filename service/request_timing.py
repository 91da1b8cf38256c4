"""When each request began, stamped once in its WSGI environ, and the gauge of requests being served.

One WSGI wrapper around the Flask app does both, for every request whatever happens inside Flask (a 404, an
error handler, a failing view): the access line (service.logs) and the request histogram (service.metrics)
read the same start time, and the in-flight gauge is decremented when the app has answered. Per request it
costs one call, where three Flask hooks and the request globals cost several times that
(docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

STARTED_KEY = "companion.request_started"


def request_started(environ: dict) -> float | None:
    """time.perf_counter() when the request reached the app, or None for a request that did not pass the wrapper."""
    return environ.get(STARTED_KEY)


class RequestTiming:
    """WSGI middleware: stamps STARTED_KEY into the environ and counts the request in `in_flight` meanwhile."""

    def __init__(self, wsgi_app: Callable, in_flight):
        self.wsgi_app = wsgi_app
        self._enter = in_flight.inc
        self._leave = in_flight.dec

    def __call__(self, environ, start_response):
        environ[STARTED_KEY] = time.perf_counter()
        self._enter()
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            # Flask has run its teardown by now; what is left is the server sending the answer's bytes.
            self._leave()
