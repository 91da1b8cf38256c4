"""The service's Flask application: its class (CompanionFlask) and its factory (create_app)."""

from __future__ import annotations

import dataclasses
import inspect
import secrets
import weakref
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version

from flask import Flask

from service.config import Settings
from service.config import load_settings
from service.config import validate_settings


def _version() -> str:
    try:
        return version("architect-companion")
    except PackageNotFoundError:
        return "0.0.0+unknown"


class CompanionFlask(Flask):
    """Flask, remembering which hooks and views are coroutine functions instead of asking on every call.

    Flask asks it of every hook and view on every request (Flask.ensure_sync, which Flask's documentation
    names as the method to override); the answer never changes for a function, and asking costs more than
    a dict lookup. The answers are held weakly, so a function made per request (after_this_request) is
    forgotten with it. What it returns is exactly what Flask.ensure_sync returns.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._is_coroutine: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def ensure_sync(self, func):
        try:
            is_coroutine = self._is_coroutine[func]
        except KeyError:
            is_coroutine = self._is_coroutine.setdefault(func, inspect.iscoroutinefunction(func))
        except TypeError:  # not weakly referenceable: asked every time, as Flask does
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_coroutine else func


def create_app(settings: Settings | None = None) -> Flask:
    """Create the Flask application from validated settings (default: read COMPANION_* once)."""
    if settings is None:
        settings = load_settings()
    else:
        validate_settings(settings)
    generated_key = None
    if settings.demo and not settings.api_keys:
        # Demo mode only: a fresh key per start, printed by the gunicorn banner (service.serving).
        generated_key = secrets.token_urlsafe(24)
        settings = dataclasses.replace(settings, api_keys=(generated_key,))

    from service import api
    from service.api.customer import customer_defaults
    from service import crm
    from service import health
    from service import metrics
    from service.direct_answers import DirectAnswers
    from service.errors import register_error_handlers
    from service.json_answers import AnswerJSONProvider
    from service.logs import configure_logging
    from service.logs import register_access_log
    from service.openapi import build_openapi
    from service.request_timing import RequestTiming

    configure_logging(settings.log_level)
    # No static files to serve, so no public /static/<path> route either.
    app = CompanionFlask(__name__, static_folder=None)
    # Never debug, whatever FLASK_DEBUG says (Flask reads it in Flask()): debug mode changes error
    # handling and is what the werkzeug debugger, a remote shell, hangs on.
    app.debug = False
    # /v1//trace is not /v1/trace: werkzeug would answer an HTML 308 whose Location it builds from the
    # Host header. Without merging, it is an unknown path: the JSON 404.
    app.url_map.merge_slashes = False
    # Flask answers 413 itself past this many bytes, before any view reads the body.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json = AnswerJSONProvider(app)
    app.extensions["companion.settings"] = settings
    app.extensions["companion.customer_defaults"] = customer_defaults(settings.fields.fields)
    # Only a key generated here may be printed; configured keys are secrets even in demo mode.
    app.extensions["companion.generated_key"] = generated_key
    crm.init_app(app, settings)

    register_error_handlers(app)
    register_access_log(app)
    metrics.register_request_metrics(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(api.bp)
    app.extensions["companion.openapi"] = build_openapi(app, _version(), settings.fields.fields)
    if settings.otlp_traces_endpoint:
        # Imported only here: with tracing off, not even the OpenTelemetry SDK is loaded.
        from service import spans

        spans.init_app(app, settings, _version())
    # Last, once every hook is in: the data-action endpoints answered without Flask's request machinery while
    # Flask would run nothing else around them; outermost, every request is stamped with its start and
    # counted in flight, whoever answers it.
    app.wsgi_app = RequestTiming(DirectAnswers(app), metrics.IN_FLIGHT)
    return app
