"""Answers to the data-action endpoints written without Flask's request machinery, when nothing needs it.

POST /v1/trace, /v1/customer and /v1/context are what Architect's data actions call, on every call
routed. For a request that is authorised and well formed, Flask's own steps around the view (a request
context with its globals, URL matching, a Response object, its header list) cost more than the service's
work (docs/performance.md §2). DirectAnswers is a WSGI middleware in front of the Flask app that answers
such a request itself, with the same functions the views run: the same key check, body parser, compiled
schema loader and view body, the same JSON encoder, access line (service.logs.AccessLog) and request
histogram (service.metrics). The answer is the same bytes, status and headers Flask sends
(tests/test_direct_answers.py proves it).

Every other request goes to Flask untouched, and so does any request of these three the direct path would
have to answer with an error before the view ran: no key or a wrong one, another content type, a chunked
body or one over the limit, a body that is not valid JSON or fails the schema. The body it read is handed
on, so Flask answers exactly as it would have. An error raised once the view has begun (/v1/customer's 400
for an unusable phone, a 503 for a degraded CRM answer when those are errors, an unexpected exception) is
answered by Flask's own error handlers and after-request hooks, in a request context made for it.

With tracing on (service.spans), a direct answer is recorded as a span by the same recorder, as Flask's
span hooks record the others.

The direct path only answers while Flask would run nothing else around these views: the hooks, the
request signals and the JSON provider must be those create_app set up when it installed the middleware.
Anything added later (a test's hook, a signal receiver, another JSON provider) sends every request back
through Flask, so it runs as registered.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import NamedTuple

from flask import Flask
from flask import g
from flask import signals
from werkzeug.wsgi import get_content_length

from service.api.customer import CONTEXT_REQUEST
from service.api.customer import CUSTOMER_QUERY
from service.api.customer import context_body
from service.api.customer import customer_body
from service.api.trace import TRACE_REQUEST
from service.api.trace import trace_body
from service.auth import key_is_valid
from service.auth import presented_key
from service.body import content_type_problem
from service.body import json_object
from service.compiled_loader import CompiledLoader
from service.json_answers import AnswerJSONProvider
from service.logs import ACCESS_LOG
from service.logs import CORRELATION_ENVIRON_KEY
from service.logs import log_fields
from service.metrics import observe_request
from service.request_timing import request_started

# Flask's signals sent around a request; a receiver of any of them must see every request.
_REQUEST_SIGNALS = (
    signals.request_started, signals.request_finished, signals.request_tearing_down, signals.got_request_exception,
    signals.appcontext_pushed, signals.appcontext_popped, signals.appcontext_tearing_down,
)
_BLUEPRINTS = (None, "v1")
_JSON_HEADER = ("Content-Type", "application/json")


class Route(NamedTuple):
    """One endpoint the direct path answers: its URL rule, its request loader and its view's body."""

    rule: str
    loader: CompiledLoader
    answer: Callable[[dict, dict, dict], dict]


# Flask endpoint -> what its view runs after the body is loaded.
_DIRECT_VIEWS = {
    "v1.trace": (TRACE_REQUEST, trace_body),
    "v1.customer": (CUSTOMER_QUERY, customer_body),
    "v1.context": (CONTEXT_REQUEST, context_body),
}


def flask_steps(app: Flask) -> list:
    """What Flask runs around a /v1 view besides the view: hooks, signal receivers, the JSON provider, the views.

    The hook lists are the app's own (compare with a copy, flask_steps_copy): building new ones per request
    would cost more than the comparison.
    """
    return [
        *[registry.get(name) for registry in (
            app.url_value_preprocessors, app.before_request_funcs, app.after_request_funcs,
            app.teardown_request_funcs,
        ) for name in _BLUEPRINTS],
        app.teardown_appcontext_funcs,
        [bool(signal.receivers) for signal in _REQUEST_SIGNALS],
        app.json, app.json.compact, app.debug, app.response_class,
        *[app.view_functions.get(endpoint) for endpoint in _DIRECT_VIEWS],
    ]


def flask_steps_copy(app: Flask) -> list:
    """flask_steps(app) with copies of its lists, so later changes to the app's lists show in a comparison."""
    return [list(step) if isinstance(step, list) else step for step in flask_steps(app)]


class _FailedRead:
    """The body stream for Flask after reading it failed: its read fails the same way."""

    def __init__(self, error: Exception):
        self.error = error

    def read(self, *_args):
        raise self.error


class DirectAnswers:
    """WSGI middleware: answers authorised, well-formed POST /v1/trace, /v1/customer and /v1/context; Flask the rest."""

    def __init__(self, app: Flask):
        self.app = app
        self.flask = app.wsgi_app
        rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if rule.endpoint in _DIRECT_VIEWS}
        self.routes = {rules[endpoint]: Route(rules[endpoint], loader, answer)
                       for endpoint, (loader, answer) in _DIRECT_VIEWS.items()}
        # The service's own steps, as create_app set them up before installing this middleware.
        self.own_steps = flask_steps_copy(app)
        self._json_is_ours = isinstance(app.json, AnswerJSONProvider)
        # service.spans.EXTENSION, read without importing service.spans (it loads the OpenTelemetry SDK): with
        # tracing on, a direct answer is recorded as a span as Flask's hooks record the others.
        self.spans = app.extensions.get("companion.spans")

    def __call__(self, environ, start_response):
        route = self.routes.get(environ.get("PATH_INFO"))
        if route is None or environ.get("REQUEST_METHOD") != "POST" or not self._nothing_added():
            return self.flask(environ, start_response)
        spans = self.spans
        span_start_ns = time.time_ns() if spans is not None else 0
        data = self._loaded_body(route, environ)
        if data is None:
            return self.flask(environ, start_response)
        app = self.app
        extensions = app.extensions
        fields: dict = {}
        try:
            answer = route.answer(data, extensions, fields)
            body = app.json.answer_body(answer)
        except Exception as exc:
            return self._flask_error(environ, start_response, exc, fields, span_start_ns)
        # As Flask's after-request hooks do, in the order Flask runs them: the blueprint's, then the app's, each
        # the last registered first.
        correlation_id = environ.get(CORRELATION_ENVIRON_KEY, "")
        if spans is not None:
            spans.record_request(span_start_ns, time.time_ns(), "POST", route.rule, 200, correlation_id, fields)
        started = request_started(environ)
        observe_request(route.rule, 200, started)
        extensions[ACCESS_LOG].write("POST", route.rule, 200, started, time.perf_counter(), correlation_id, fields)
        if body is None:  # a value only Flask's provider writes (an integer wider than 64 bits)
            return app.json.response(answer)(environ, start_response)
        start_response("200 OK", [_JSON_HEADER, ("Content-Length", str(len(body)))])
        return [body]

    def _loaded_body(self, route: Route, environ: dict) -> dict | None:
        """The request's body loaded by the route's loader, for an authorised request with a JSON body within
        the limit that the loader accepts; None for any other, whose body (if read) is left for Flask to read."""
        app = self.app
        if not key_is_valid(presented_key(environ), app.extensions["companion.settings"].api_keys):
            return None
        if content_type_problem(environ.get("CONTENT_TYPE")) is not None:
            return None
        length = get_content_length(environ)
        limit = app.config["MAX_CONTENT_LENGTH"]
        if length is None or (limit is not None and length > limit):
            return None
        try:
            raw = environ["wsgi.input"].read(length)
        except Exception as exc:
            environ["wsgi.input"] = _FailedRead(exc)
            return None
        try:
            if len(raw) == length:
                return route.loader.load(json_object(raw))
        except Exception:
            pass  # whatever refused the body (invalid JSON, the schema, anything unexpected), Flask says it
        environ["wsgi.input"] = io.BytesIO(raw)
        return None

    def _nothing_added(self) -> bool:
        return self._json_is_ours and flask_steps(self.app) == self.own_steps

    def _flask_error(self, environ, start_response, error: Exception, fields: dict, span_start_ns: int):
        """Flask's answer to `error` raised by a view, and its after-request hooks, as Flask would run them.

        Called while `error` is being handled, so the unexpected-error handler logs its traceback.
        """
        app = self.app
        with app.request_context(environ):
            log_fields().update(fields)
            if self.spans is not None:
                setattr(g, self.spans.start_attribute, span_start_ns)
            response = app.finalize_request(app.handle_user_exception(error))
        return response(environ, start_response)
