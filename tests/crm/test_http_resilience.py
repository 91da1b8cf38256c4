"""Circuit breaker and TTL cache: as units with a hand-driven clock, and in the backend against the CRM stub."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import REGISTRY

from service.crm.breaker import CircuitBreaker
from service.crm.cache import TtlCache
from tests.crm.http_fixtures import ANN
from tests.crm.http_fixtures import ANN_PHONE
from tests.crm.http_fixtures import crm  # noqa: F401 (fixture)
from tests.crm.http_fixtures import make_backend  # noqa: F401 (fixture)
from tests.crm.http_fixtures import timed

COOLDOWN_S = 0.2  # as in http_fixtures.backend_env


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- CircuitBreaker ----------------------------------------------------------------------------------


def test_breaker_opens_after_n_consecutive_failures_only():
    clock = Clock()
    breaker = CircuitBreaker(3, 10, clock=clock)
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()  # resets the count: failures must be consecutive
    for _ in range(2):
        breaker.record_failure()
    assert (breaker.state, breaker.allow()) == ("closed", True)
    breaker.record_failure()
    assert (breaker.state, breaker.allow()) == ("open", False)


def test_breaker_lets_one_probe_through_after_the_cool_down():
    clock = Clock()
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    clock.now += 9.9
    assert not breaker.allow()
    assert "next probe in 0.1 s" in breaker.open_reason()
    clock.now += 0.1
    assert breaker.open_reason() is None  # ready again: the next call is the probe
    assert breaker.allow()
    assert breaker.state == "half_open"
    assert not breaker.allow()  # only one probe at a time


def test_successful_probe_closes_failed_probe_reopens_for_a_full_cool_down():
    clock = Clock()
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 9
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    breaker.record_success()
    assert (breaker.state, breaker.allow(), breaker.open_reason()) == ("closed", True, None)


def test_breaker_reports_each_transition_once():
    clock, seen = Clock(), []
    breaker = CircuitBreaker(2, 1, clock=clock, on_transition=seen.append)
    for _ in range(4):
        breaker.record_failure()
    clock.now += 1
    breaker.allow()
    breaker.allow()
    breaker.record_success()
    breaker.record_success()
    assert seen == ["open", "half_open", "closed"]


def test_breaker_under_concurrent_failures_opens_once():
    seen = []
    breaker = CircuitBreaker(50, 60, on_transition=seen.append)
    threads = [threading.Thread(target=lambda: [breaker.record_failure() for _ in range(100)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["open"]


# -- TtlCache ----------------------------------------------------------------------------------------


def test_cache_entries_are_fresh_until_their_ttl():
    clock = Clock()
    cache = TtlCache(10, 2, 100, clock=clock)
    cache.put("hit", {"customerId": "C1"})
    cache.put("miss", None)
    clock.now += 1.9
    assert cache.get("hit").fresh and cache.get("miss").fresh
    clock.now += 0.1
    assert cache.get("miss") is None  # an old miss is forgotten
    assert cache.get("hit").fresh
    clock.now += 8
    stale = cache.get("hit")
    assert (stale.fresh, stale.record) == (False, {"customerId": "C1"})  # an old record is kept, stale


def test_cache_is_bounded_and_evicts_the_least_recently_used():
    cache = TtlCache(10, 10, 2, clock=Clock())
    cache.put("a", {"n": 1})
    cache.put("b", {"n": 2})
    cache.get("a")
    cache.put("c", {"n": 3})
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (True, None, True)
    assert len(cache) == 2


def test_miss_with_negative_caching_off_also_forgets_an_older_record():
    cache = TtlCache(10, 0, 10, clock=Clock())
    cache.put("k", {"n": 1})
    cache.put("k", None)
    assert cache.get("k") is None


# -- breaker in the backend --------------------------------------------------------------------------


def test_breaker_opens_and_short_circuits_without_calling_the_crm(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0", CRM_CACHE_MISS_TTL_S="0")
    crm.status(500)
    for _ in range(3):
        assert backend.lookup({"phone": ANN_PHONE}).outcome == "error"
    assert backend.breaker_state == "open"
    assert "circuit breaker open" in backend.readiness()
    requests_before = crm.request_count
    result, elapsed = timed(backend, {"phone": ANN_PHONE})
    assert (result.found, result.degraded, result.outcome) == (False, True, "breaker_open")
    assert elapsed < 0.02
    assert crm.request_count == requests_before


def test_breaker_half_opens_after_the_cool_down_and_closes_on_success(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0")
    crm.refuse()
    for _ in range(3):
        backend.lookup({"phone": ANN_PHONE})
    assert backend.readiness() is not None
    crm.healthy()
    time.sleep(COOLDOWN_S + 0.05)
    assert backend.readiness() is None  # cool-down over: a probe may go
    result = backend.lookup({"phone": ANN_PHONE})
    assert (result.outcome, result.degraded, result.source) == ("hit", False, "http")
    assert backend.breaker_state == "closed"


def test_failed_probe_reopens_the_breaker(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0")
    crm.status(500)
    for _ in range(3):
        backend.lookup({"phone": ANN_PHONE})
    time.sleep(COOLDOWN_S + 0.05)
    before = crm.request_count
    assert backend.lookup({"phone": ANN_PHONE}).outcome == "error"  # the probe reached the CRM
    assert crm.request_count == before + 1
    assert backend.breaker_state == "open"
    assert backend.lookup({"phone": ANN_PHONE}).outcome == "breaker_open"
    assert crm.request_count == before + 1


def test_half_open_lets_exactly_one_of_many_concurrent_lookups_probe(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0")
    crm.status(500)
    for _ in range(3):
        backend.lookup({"phone": ANN_PHONE})
    crm.slow(100)  # healthy, but slow enough that the other lookups arrive while the probe is out
    time.sleep(COOLDOWN_S + 0.05)
    before = crm.request_count
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(backend.lookup({"phone": ANN_PHONE}).outcome))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crm.request_count == before + 1
    assert sorted(outcomes) == ["breaker_open"] * 5 + ["hit"]
    assert backend.breaker_state == "closed"


def test_breaker_transitions_reach_the_metrics(make_backend, crm):
    opened = metric("companion_crm_breaker_transitions_total", state="open")
    closed = metric("companion_crm_breaker_transitions_total", state="closed")
    backend = make_backend(CRM_CACHE_TTL_S="0")
    crm.status(500)
    for _ in range(3):
        backend.lookup({"phone": ANN_PHONE})
    assert metric("companion_crm_breaker_state") == 2
    crm.healthy()
    time.sleep(COOLDOWN_S + 0.05)
    backend.lookup({"phone": ANN_PHONE})
    assert metric("companion_crm_breaker_state") == 0
    assert metric("companion_crm_breaker_transitions_total", state="open") == opened + 1
    assert metric("companion_crm_breaker_transitions_total", state="closed") == closed + 1


# -- cache in the backend ----------------------------------------------------------------------------


def test_fresh_cache_answers_without_calling_the_crm(make_backend, crm):
    backend = make_backend()
    hits, misses = metric("companion_crm_cache_requests_total", result="hit"), metric(
        "companion_crm_cache_requests_total", result="miss"
    )
    first, second = backend.lookup({"phone": ANN_PHONE}), backend.lookup({"phone": ANN_PHONE})
    assert crm.request_count == 1
    assert (second.record, second.source, second.degraded, second.outcome) == (first.record, "http", False, "hit")
    assert metric("companion_crm_cache_requests_total", result="hit") == hits + 1
    assert metric("companion_crm_cache_requests_total", result="miss") == misses + 1


def test_cache_expires_after_its_ttl(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0.1")
    backend.lookup({"phone": ANN_PHONE})
    crm.records[ANN_PHONE] = {**ANN, "tier": "platinum"}
    assert backend.lookup({"phone": ANN_PHONE}).record["tier"] == "gold"
    time.sleep(0.15)
    assert backend.lookup({"phone": ANN_PHONE}).record["tier"] == "platinum"
    assert crm.request_count == 2


def test_misses_are_cached_for_the_miss_ttl(make_backend, crm):
    backend = make_backend(CRM_CACHE_MISS_TTL_S="0.1")
    stranger = "+13175550199"
    assert backend.lookup({"phone": stranger}).outcome == "miss"
    crm.records[stranger] = {"customerId": "NEW"}
    assert backend.lookup({"phone": stranger}).outcome == "miss"
    assert crm.request_count == 1
    time.sleep(0.15)
    assert backend.lookup({"phone": stranger}).record["customerId"] == "NEW"


@pytest.mark.parametrize("fault", ["refuse", "status-500", "slow", "garbage"])
def test_last_good_record_is_served_stale_when_the_crm_fails(make_backend, crm, fault):
    backend = make_backend(CRM_CACHE_TTL_S="0.05")
    good = backend.lookup({"phone": ANN_PHONE})
    time.sleep(0.06)
    {"refuse": crm.refuse, "status-500": lambda: crm.status(500), "slow": lambda: crm.slow(1000),
     "garbage": crm.garbage}[fault]()
    result, elapsed = timed(backend, {"phone": ANN_PHONE})
    assert elapsed <= 0.3 + 0.05
    assert (result.found, result.source, result.degraded, result.outcome) == (True, "cache", True, "stale")
    assert result.record == good.record
    assert result.reason


def test_stale_record_is_also_served_while_the_breaker_is_open(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0")
    backend.lookup({"phone": ANN_PHONE})
    crm.status(500)
    for _ in range(3):
        backend.lookup({"phone": ANN_PHONE})
    before = crm.request_count
    result = backend.lookup({"phone": ANN_PHONE})
    assert (result.source, result.outcome, result.record["customerId"]) == ("cache", "stale", ANN["customerId"])
    assert crm.request_count == before


def test_a_cached_miss_is_not_served_as_stale(make_backend, crm):
    backend = make_backend(CRM_CACHE_MISS_TTL_S="0.05")
    backend.lookup({"phone": "+13175550199"})
    time.sleep(0.06)
    crm.status(500)
    result = backend.lookup({"phone": "+13175550199"})
    assert (result.found, result.source, result.outcome) == (False, "none", "error")
