"""The CRM endpoints under the real gunicorn config: forked workers share one read-only database file."""

from __future__ import annotations

import pytest
import requests

from service.crm.demo import REGULAR_PHONE
from service.crm.demo import UNKNOWN_PHONE
from service.crm.demo import VIP_PHONE
from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.servers import GunicornServer
from tests.servers import ServerError

pytestmark = pytest.mark.e2e
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def test_workers_answer_lookups_from_the_database_file(demo_db):
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
           "COMPANION_SQLITE_PATH": str(demo_db), "COMPANION_WORKERS": "2", "COMPANION_THREADS": "4"}
    with GunicornServer(env) as server:
        session = requests.Session()
        expected = {VIP_PHONE: (True, "platinum"), REGULAR_PHONE: (True, "standard"), UNKNOWN_PHONE: (False, "")}
        # Enough calls, on fresh connections too, that both workers and several threads each answer some.
        for n in range(40):
            phone = list(expected)[n % 3]
            client = session if n % 2 else requests
            body = {"conversationId": f"c-{n}", "phone": f"tel:{phone}"}
            response = client.post(f"{server.url}/v1/context", json=body, headers=AUTH, timeout=5)
            assert response.status_code == 200
            body = response.json()
            assert (body["found"], body["tier"]) == expected[phone] and len(body["traceId"]) == 32
        assert requests.get(f"{server.url}/readyz", timeout=5).json() == {"status": "ok"}
        lines = [line for line in server.access_lines() if line["path"] == "/v1/context"]
        assert {line["crm.outcome"] for line in lines} == {"hit", "miss"}
        assert all(line["crm.phone"].startswith("+*******") for line in lines)


def test_a_missing_database_stops_start_up_naming_the_setting_and_the_fix(tmp_path):
    server = GunicornServer({"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
                             "COMPANION_SQLITE_PATH": str(tmp_path / "absent.sqlite3")})
    with pytest.raises(ServerError) as error:
        server.start()
    assert "COMPANION_SQLITE_PATH:" in str(error.value) and "companion crm demo" in str(error.value)
