"""CompanionFlask.ensure_sync answers as Flask's does, remembering the answer per function, weakly."""

from __future__ import annotations

import gc

from flask import Flask
from flask import after_this_request

from service.app import CompanionFlask


def test_a_plain_function_is_returned_as_is_and_remembered():
    app = CompanionFlask(__name__)

    def view():
        return "ok"

    assert app.ensure_sync(view) is view is Flask.ensure_sync(app, view)
    assert app._is_coroutine[view] is False


def test_a_coroutine_function_is_still_wrapped_as_flask_wraps_it(monkeypatch):
    app = CompanionFlask(__name__)
    wrapped = []
    monkeypatch.setattr(app, "async_to_sync", lambda func: wrapped.append(func) or "sync version")

    async def view():
        return "ok"

    assert app.ensure_sync(view) == "sync version" and app.ensure_sync(view) == "sync version"
    assert wrapped == [view, view]


def test_functions_made_per_request_are_not_kept():
    app = CompanionFlask(__name__)

    @app.get("/")
    def index():
        @after_this_request
        def stamp(response):
            response.headers["X-Stamp"] = "1"
            return response

        return "ok"

    client = app.test_client()
    for _ in range(50):
        assert client.get("/").headers["X-Stamp"] == "1"
    gc.collect()
    assert len(app._is_coroutine) < 5  # the view and the hooks, not one entry per request
