"""HTTP backend: compressed CRM answers are decoded (and a gzip bomb still refused); a CRM's 4xx about a
caller's key never opens the circuit breaker, while 5xx, 408 and 429 do."""

from __future__ import annotations

import pytest

from tests.crm.http_fixtures import ANN
from tests.crm.http_fixtures import ANN_PHONE
from tests.crm.http_fixtures import crm  # noqa: F401 - fixture
from tests.crm.http_fixtures import crm_log  # noqa: F401 - fixture
from tests.crm.http_fixtures import make_backend  # noqa: F401 - fixture
from tests.crm_stub import CrmStub


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_a_compressed_answer_is_decoded_and_found(crm, make_backend, encoding):
    crm.compress(encoding)
    backend = make_backend()
    result = backend.lookup({"phone": ANN_PHONE})
    assert (result.found, result.degraded, result.outcome) == (True, False, "hit")
    assert result.record["firstName"] == "Ann"
    assert backend.breaker_state == "closed"
    # The stub compressed because we asked for it, as real servers do.
    assert "gzip" in crm.received[-1].headers["Accept-Encoding"]


def test_compressed_answers_never_open_the_breaker(crm, make_backend):
    crm.compress("gzip")
    backend = make_backend(CRM_CACHE_TTL_S="0", CRM_CACHE_MISS_TTL_S="0")
    results = [backend.lookup({"phone": ANN_PHONE}) for _ in range(6)]
    assert all(r.found and not r.degraded for r in results)
    assert backend.breaker_state == "closed"


def test_a_gzip_bomb_is_refused_by_its_decoded_size(crm, make_backend):
    # About 10 kB on the wire, 10 MB inflated; the limit is 1 MB of decoded answer.
    crm.gzip_bomb(10 * 1024 * 1024)
    backend = make_backend(CRM_MAX_RESPONSE_BYTES=str(1024 * 1024))
    result = backend.lookup({"phone": ANN_PHONE})
    assert (result.found, result.degraded, result.outcome) == (False, True, "error")
    assert "over the 1048576-byte limit" in result.reason


def test_an_answer_that_does_not_inflate_is_a_clear_error(crm, make_backend):
    crm.encoded(b"not gzip at all", "gzip")
    result = make_backend().lookup({"phone": ANN_PHONE})
    assert (result.degraded, result.outcome) == (True, "error")
    assert result.reason == "CRM answer is not valid gzip data"


@pytest.mark.parametrize("status", [400, 404, 422])
def test_a_crm_that_validates_ids_cannot_be_made_to_open_the_breaker(make_backend, crm_log, status):
    with CrmStub({ANN["customerId"]: ANN}, miss_status=status, miss_body={"error": "invalid id"}) as crm:
        backend = make_backend(CRM_URL_TEMPLATE=crm.url + "/customers/{customerId}", CRM_BREAKER_FAILURES="3")
        answers = [backend.lookup({"customerId": f"bad-{n}"}) for n in range(20)]
        assert all((a.found, a.degraded, a.outcome) == (False, False, "miss") for a in answers)
        assert backend.breaker_state == "closed"
        assert backend.readiness() is None
        # The next real caller is still looked up.
        assert backend.lookup({"customerId": ANN["customerId"]}).found
    if status != 404:
        refused = [r for r in crm_log if r.getMessage() == "CRM refused the lookup key; answered as not found"]
        assert len(refused) == 20 and refused[0].crmStatus == status


@pytest.mark.parametrize("status", [429, 408, 500])
def test_overload_and_server_errors_still_open_the_breaker(crm, make_backend, status):
    crm.status(status)
    backend = make_backend(CRM_BREAKER_FAILURES="3")
    answers = [backend.lookup({"phone": ANN_PHONE}) for _ in range(3)]
    assert all(a.degraded and a.outcome == "error" for a in answers)
    assert f"HTTP {status}" in answers[0].reason
    assert backend.breaker_state == "open"


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_credential_answers_degraded_but_leaves_the_breaker_closed(crm, make_backend, status):
    crm.status(status)
    backend = make_backend(CRM_BREAKER_FAILURES="3")
    answers = [backend.lookup({"phone": ANN_PHONE}) for _ in range(5)]
    assert all((a.found, a.degraded, a.outcome) == (False, True, "error") for a in answers)
    assert "refused our credentials" in answers[0].reason and "COMPANION_CRM_AUTH_HEADER" in answers[0].reason
    assert backend.breaker_state == "closed"


@pytest.mark.parametrize("value", [".", ".."])
def test_a_dot_segment_in_a_path_key_never_reaches_the_crm(make_backend, value):
    with CrmStub({ANN["customerId"]: ANN, "": {"customerId": "ROOT"}}) as crm:
        backend = make_backend(CRM_URL_TEMPLATE=crm.url + "/api/customers/{customerId}")
        result = backend.lookup({"customerId": value})
        assert (result.found, result.degraded, result.outcome) == (False, False, "miss")
        assert crm.request_count == 0
        assert backend.lookup({"customerId": ANN["customerId"]}).found
        assert [r.path for r in crm.received] == ["/api/customers/C-1001"]


@pytest.mark.parametrize("value", [".", ".."])
def test_a_dot_segment_in_a_query_key_is_sent_as_a_value(make_backend, value):
    with CrmStub({ANN["customerId"]: ANN}) as crm:
        backend = make_backend(CRM_URL_TEMPLATE=crm.url + "/api/customers?id={customerId}")
        result = backend.lookup({"customerId": value})
        assert (result.found, result.degraded) == (False, False)
        assert [(r.path, r.query) for r in crm.received] == [("/api/customers", {"id": [value]})]


def test_path_placeholders_are_those_before_the_query():
    from service.crm.http import path_placeholders

    assert path_placeholders("https://crm/a/{customerId}/b?phone={phone}&e={email}") == {"customerId"}
    assert path_placeholders("https://crm/search?phone={phone}") == set()
