"""Two gunicorn instances, one PostgreSQL CRM: an import run next to one instance is answered by both."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_an_import_through_one_instance_is_answered_by_both(postgres, tmp_path):
    url = postgres.create_database("shared_crm")
    import_csv_postgres(write_csv(tmp_path / "first.csv", [customer(n, segment="before") for n in range(1, 11)]),
                        url, RULES, on_reject=pytest.fail)
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_CRM_BACKEND": "postgres",
           "COMPANION_DATABASE_URL": url, "COMPANION_WORKERS": "2", "COMPANION_THREADS": "4"}
    with GunicornServer(env) as first, GunicornServer(env) as second:
        for server in (first, second):
            assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 200
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
