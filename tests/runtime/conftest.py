"""Fixtures for the data-action runtime tests."""

import pytest

from tests.runtime.stub_server import StubServer


@pytest.fixture
def stub():
    """A fresh stub HTTP server on 127.0.0.1 for one test."""
    with StubServer() as server:
        yield server
