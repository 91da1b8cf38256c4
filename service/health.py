"""Liveness, readiness and the OpenAPI document: no auth, so probes and tooling can reach them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint
from flask import current_app
from flask import jsonify

from schemas import HealthResponse
from service.api.docs import documented

bp = Blueprint("health", __name__)

# A readiness check returns None when fine, or the reason the service cannot serve traffic.
ReadinessCheck = Callable[[], "str | None"]


def add_readiness_check(app, check: ReadinessCheck) -> None:
    """Register a check that /readyz runs on every probe."""
    app.extensions.setdefault("companion.readiness", []).append(check)


def start_draining(app) -> None:
    """From now on /readyz answers 503: this process is shutting down (set from the gunicorn config)."""
    app.extensions["companion.draining"] = True


@bp.get("/healthz")
@documented(summary="Liveness", response=HealthResponse, errors=())
def healthz():
    """The process is up and answering."""
    return {"status": "ok"}


@bp.get("/readyz")
@documented(summary="Readiness", response=HealthResponse, errors=(503,))
def readyz():
    """200 when every backend the service needs is usable, 503 with the reason otherwise."""
    if current_app.extensions.get("companion.draining"):
        # A load balancer still probing this worker must stop sending it traffic; in-flight requests finish.
        return jsonify({"status": "unavailable", "reason": "shutting down"}), 503
    for check in current_app.extensions.get("companion.readiness", []):
        reason = check()
        if reason:
            return jsonify({"status": "unavailable", "reason": reason}), 503
    return {"status": "ok"}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, generated from schemas/ at start-up."""
    return current_app.extensions["companion.openapi"]
