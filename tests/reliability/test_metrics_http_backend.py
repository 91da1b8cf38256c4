"""/metrics adds up every worker's samples with the http backend too, whose start-up checks import
prometheus-client before the app does (it once came up per worker, and a scrape saw one worker's counts)."""

import pytest
import requests

from tests.crm_stub import CrmStub
from tests.reliability.crm_load import AUTH
from tests.reliability.crm_load import KNOWN
from tests.reliability.crm_load import RECORDS
from tests.reliability.crm_load import metric
from tests.reliability.crm_load import scrape
from tests.reliability.crm_load import server_env
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e


def test_every_lookup_is_counted_whichever_worker_answered_it():
    with CrmStub(RECORDS) as crm, GunicornServer(server_env(crm)) as server:
        before = scrape(server.url)
        for number in KNOWN[:20]:
            # A new connection each, so both workers answer some.
            response = requests.post(f"{server.url}/v1/customer", json={"phone": number}, headers=AUTH, timeout=5)
            assert response.status_code == 200
        after = scrape(server.url)
    looked_up = sum(metric(after, "companion_crm_cache_requests_total", result=r)
                    - metric(before, "companion_crm_cache_requests_total", result=r) for r in ("hit", "miss"))
    assert looked_up == 20
