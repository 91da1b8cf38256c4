"""Two gunicorn instances, one PostgreSQL CRM: an import run next to one instance is answered by both, and
an instance that loses the database answers degraded, says so on /readyz, and comes back by itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from service.crm.importer import RowRules
from service.crm.postgres_import import import_csv_postgres
from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv
from tests.servers import GunicornServer
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e

COMPANION = str(Path(sys.executable).with_name("companion"))
RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _answers(server: GunicornServer, customer_id: str, times: int = 6) -> set[tuple]:
    """(found, degraded, segment) of every answer to `times` lookups (spread over the instance's workers)."""
    answers = set()
    with requests.Session() as session:
        for _ in range(times):
            # A new connection each time: the kernel spreads them over the workers, each with its own pool.
            response = session.post(f"{server.url}/v1/customer", json={"customerId": customer_id},
                                    headers={**AUTH, "Connection": "close"}, timeout=10)
            assert response.status_code == 200, response.text
            body = response.json()
            answers.add((body["found"], body["degraded"], body["segment"]))
    return answers


def _ready(server: GunicornServer, times: int = 6) -> set[int]:
    return {requests.get(f"{server.url}/readyz", headers={"Connection": "close"}, timeout=10).status_code
            for _ in range(times)}


@pytest.fixture(scope="module")
def instances(postgres, tmp_path_factory):
    """Two gunicorn instances (2 workers each) on one database; the second reaches it through a proxy."""
    url = postgres.create_database("shared_crm")
    first_csv = write_csv(tmp_path_factory.mktemp("shared") / "first.csv",
                          [customer(n, segment="before") for n in range(1, 11)])
    import_csv_postgres(first_csv, url, RULES, on_reject=pytest.fail)
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_CRM_BACKEND": "postgres",
           "COMPANION_DATABASE_URL": url, "COMPANION_WORKERS": "2", "COMPANION_THREADS": "4",
           "COMPANION_CRM_DEADLINE_MS": "500", "COMPANION_CRM_CONNECT_TIMEOUT_MS": "200",
           "COMPANION_CRM_BREAKER_COOLDOWN_S": "0.5"}
    with TcpProxy(("127.0.0.1", postgres.port)) as proxy:
        second_env = {**env, "COMPANION_DATABASE_URL": url.replace(f":{postgres.port}/", f":{proxy.port}/")}
        with GunicornServer(env) as first, GunicornServer(second_env) as second:
            yield first, second, proxy


def test_an_import_next_to_one_instance_is_answered_by_both(instances, tmp_path):
    first, second, _proxy = instances
    for server in (first, second):
        assert _ready(server) == {200}
        assert _answers(server, "C-0000001") == {(True, False, "before")}
        assert _answers(server, "C-0000099") == {(False, False, "")}
    # The operator runs the import on the first instance's host, with that instance's settings.
    new = write_csv(tmp_path / "new.csv", [customer(n, segment="after") for n in (*range(1, 11), 99)])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    result = subprocess.run([COMPANION, "crm", "import", str(new)], capture_output=True, text=True,
                            env={**clean, **first.env}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "11 customers imported" in result.stdout and "(every customer replaced)" in result.stdout
    for server in (first, second):
        assert _answers(server, "C-0000001") == {(True, False, "after")}
        assert _answers(server, "C-0000099") == {(True, False, "after")}


def test_an_instance_that_loses_the_database_answers_degraded_and_comes_back_by_itself(instances):
    first, second, proxy = instances
    assert {found for found, _degraded, _segment in _answers(second, "C-0000001")} == {True}
    proxy.refuse()
    try:
        # Degraded 200s, never a 5xx; /readyz 503 on every worker; the other instance is unaffected.
        assert _answers(second, "C-0000001", times=12) == {(False, True, "")}
        assert _ready(second) == {503}
        assert {(found, degraded) for found, degraded, _ in _answers(first, "C-0000001")} == {(True, False)}
        assert _ready(first) == {200}
    finally:
        proxy.resume()
    # Each worker reconnects by itself on its first probe after the cool-down.
    deadline = time.monotonic() + 15
    while {(f, d) for f, d, _ in _answers(second, "C-0000001")} != {(True, False)} or _ready(second) != {200}:
        assert time.monotonic() < deadline, "the second instance did not come back within 15 s"
        time.sleep(0.2)
