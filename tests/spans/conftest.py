"""Fixtures for the span export tests: a real OTLP/HTTP receiver and apps or servers that export to it."""

from __future__ import annotations

import os

import pytest

from service import create_app
from service.config import load_settings
from tests.otlp_receiver import OtlpReceiver


@pytest.fixture(autouse=True)
def _no_otel_from_the_shell(monkeypatch):
    """The SDK reads OTEL_* from os.environ: a developer's own settings must not change what a test sees."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def receiver():
    """A fresh OTLP/HTTP receiver on 127.0.0.1."""
    with OtlpReceiver() as started:
        yield started


@pytest.fixture
def traced_app(settings_env, receiver):
    """The app with the demo CRM, exporting spans to the receiver; its recorder is shut down afterwards."""
    app = create_app(load_settings({**settings_env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}))
    yield app
    app.extensions["companion.spans"].shutdown()


def exported(app, receiver) -> list:
    """Every span the app recorded, as the receiver decoded it (the recorder is flushed and shut down first)."""
    assert app.extensions["companion.spans"].shutdown(), "spans were not sent in time"
    return list(receiver.spans)
