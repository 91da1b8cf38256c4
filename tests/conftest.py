"""Shared fixtures: settings, app, client, and a real gunicorn server."""

from __future__ import annotations

import base64
import signal

import pytest

from service import create_app
from service.config import load_settings
from service.crm.demo import create_demo_database
from tests.postgres_server import PostgresServer
from tests.servers import GunicornServer

# A job a non-interactive shell starts in the background (`cmd &`, as some CI runners do) begins with SIGINT
# ignored, and every process it starts inherits that, so the tests' Ctrl-C to `companion crm import` would be
# lost. Python's own handler here makes the commands the tests start get the default, as at a terminal (a
# handled signal is reset to its default by exec; an ignored one stays ignored).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

API_KEY = "test-key-0123456789abcdef"
OTHER_KEY = "rotated-key-9876543210fedcba"
TRACE_SECRET = "test-trace-secret-0123456789"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A demo CRM database built once per test session; servers and apps only read it."""
    path = tmp_path_factory.mktemp("demo-crm") / "crm.sqlite3"
    create_demo_database(path)
    return path


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server for the whole session (tests/postgres_server.py); each test module makes
    its own databases on it."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_demo_url(postgres):
    """URL of a PostgreSQL database holding the demo customers (the same ones as demo_db); read only."""
    from service.crm.demo import DEMO_TIERS
    from service.crm.demo import demo_rows
    from service.crm.importer import RowRules
    from service.crm.postgres_import import import_rows_postgres

    url = postgres.create_database("demo_crm")
    import_rows_postgres(demo_rows(), url, RowRules(DEMO_TIERS, "US"), on_reject=pytest.fail)
    return url


def demo_server_env(demo_db) -> dict[str, str]:
    """COMPANION_* variables for a real gunicorn with the test key and secret, serving the demo CRM."""
    return {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_SQLITE_PATH": str(demo_db)}


@pytest.fixture(scope="module")
def demo_server(demo_db):
    """gunicorn with the repository's config and demo_server_env(); one per test module that asks for it."""
    with GunicornServer(demo_server_env(demo_db)) as server:
        yield server


@pytest.fixture
def settings_env(demo_db):
    """COMPANION_* variables for a test app; tests add or override entries before building the app."""
    return {
        "COMPANION_API_KEYS": f"{API_KEY},{OTHER_KEY}",
        "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_db),
    }


@pytest.fixture
def app(settings_env):
    """The Flask app built from settings_env."""
    return create_app(load_settings(settings_env))


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def auth():
    """Headers that authenticate with the primary test key."""
    return {"Authorization": f"Bearer {API_KEY}"}


def basic_auth(user: str, password: str) -> dict:
    """A Basic Authorization header, as Genesys's Basic Auth credential sends it."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
