"""Application factory."""

from __future__ import annotations

import dataclasses
import secrets
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


def create_app(settings: Settings | None = None) -> Flask:
    """Create the Flask application from validated settings (default: read COMPANION_* once)."""
    if settings is None:
        settings = load_settings()
    else:
        validate_settings(settings)
    generated_key = settings.demo and not settings.api_keys
    if generated_key:
        # Demo mode only: a fresh key per start, printed by the gunicorn banner (service.serving).
        settings = dataclasses.replace(settings, api_keys=(secrets.token_urlsafe(24),))

    from service import api
    from service.api.customer import customer_defaults
    from service import crm
    from service import health
    from service import metrics
    from service.errors import register_error_handlers
    from service.logs import configure_logging
    from service.logs import register_access_log
    from service.openapi import build_openapi

    configure_logging(settings.log_level)
    # No static files to serve, so no public /static/<path> route either.
    app = Flask(__name__, static_folder=None)
    # Never debug, whatever FLASK_DEBUG says (Flask reads it in Flask()): debug mode changes error
    # handling and is what the werkzeug debugger, a remote shell, hangs on.
    app.debug = False
    # Flask answers 413 itself past this many bytes, before any view reads the body.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.extensions["companion.settings"] = settings
    app.extensions["companion.customer_defaults"] = customer_defaults(settings.fields.fields)
    # Only a key made up here may be printed; one from COMPANION_API_KEYS is a real secret.
    app.extensions["companion.generated_key"] = generated_key
    crm.init_app(app, settings)

    register_error_handlers(app)
    register_access_log(app)
    metrics.register_request_metrics(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(api.bp)
    app.extensions["companion.openapi"] = build_openapi(app, _version(), settings.fields.fields)
    return app
