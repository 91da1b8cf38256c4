"""Attach OpenAPI metadata to a view, read back by service.openapi."""

from __future__ import annotations


def documented(*, summary: str, request=None, response=None, errors=(400, 401, 413, 415, 500)):
    """Record the request/response schemas and error statuses of a view for /openapi.json."""

    def decorate(view):
        view.api_doc = {"summary": summary, "request": request, "response": response, "errors": tuple(errors)}
        return view

    return decorate
