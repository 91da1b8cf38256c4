"""service.metrics in one process: the recording API and GET /metrics through the Flask test client.

The metrics are process-wide (as Prometheus metrics are), so every test compares before and after.
"""

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from service import metrics
from service.config import load_settings
from tests.conftest import API_KEY


def value(name: str, **labels) -> float:
    """The current value of one sample in this process's registry (0 when it does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(text: str, name: str, **labels) -> float | None:
    """The value of one sample in a /metrics body, or None when absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


@pytest.mark.parametrize("outcome", ["hit", "miss", "error", "timeout", "breaker_open", "stale"])
def test_observe_crm_counts_the_outcome_and_adds_the_time(outcome):
    count_before = value("companion_crm_lookup_duration_seconds_count", outcome=outcome)
    sum_before = value("companion_crm_lookup_duration_seconds_sum", outcome=outcome)
    metrics.observe_crm(outcome, 0.3)
    assert value("companion_crm_lookup_duration_seconds_count", outcome=outcome) == count_before + 1
    assert value("companion_crm_lookup_duration_seconds_sum", outcome=outcome) == pytest.approx(sum_before + 0.3)


def test_crm_latency_lands_in_the_bucket_at_the_deadline_not_below_it():
    below = value("companion_crm_lookup_duration_seconds_bucket", outcome="timeout", le="1.0")
    at_deadline = value("companion_crm_lookup_duration_seconds_bucket", outcome="timeout", le="1.5")
    metrics.observe_crm("timeout", 1.2)
    assert value("companion_crm_lookup_duration_seconds_bucket", outcome="timeout", le="1.0") == below
    assert value("companion_crm_lookup_duration_seconds_bucket", outcome="timeout", le="1.5") == at_deadline + 1


def test_buckets_resolve_fast_answers_and_mark_the_deadline_and_its_50_ms_allowance():
    assert metrics.LATENCY_BUCKETS[:4] == (0.001, 0.0025, 0.005, 0.01)
    assert 1.5 in metrics.LATENCY_BUCKETS and 1.55 in metrics.LATENCY_BUCKETS


@pytest.mark.parametrize(
    ("call", "bad"),
    [(lambda v: metrics.observe_crm(v, 0.1), "found"), (metrics.count_cache, "stale"), (metrics.set_breaker_state, "ajar")],
)
def test_unknown_label_values_are_refused_so_typos_cannot_create_series(call, bad):
    with pytest.raises(ValueError, match=f"'{bad}'"):
        call(bad)


def test_count_cache_counts_hits_and_misses_apart():
    hits, misses = value("companion_crm_cache_requests_total", result="hit"), value(
        "companion_crm_cache_requests_total", result="miss"
    )
    metrics.count_cache("hit")
    metrics.count_cache("hit")
    metrics.count_cache("miss")
    assert value("companion_crm_cache_requests_total", result="hit") == hits + 2
    assert value("companion_crm_cache_requests_total", result="miss") == misses + 1


def test_breaker_state_is_a_severity_number_and_only_changes_count_as_transitions():
    metrics.set_breaker_state("closed")
    opened = value("companion_crm_breaker_transitions_total", state="open")
    half = value("companion_crm_breaker_transitions_total", state="half_open")
    closed = value("companion_crm_breaker_transitions_total", state="closed")
    try:
        metrics.set_breaker_state("open")
        metrics.set_breaker_state("open")  # reported again, not a new transition
        assert value("companion_crm_breaker_state") == 2
        metrics.set_breaker_state("half_open")
        assert value("companion_crm_breaker_state") == 1
        metrics.set_breaker_state("closed")
        assert value("companion_crm_breaker_state") == 0
    finally:
        metrics.set_breaker_state("closed")
    assert value("companion_crm_breaker_transitions_total", state="open") == opened + 1
    assert value("companion_crm_breaker_transitions_total", state="half_open") == half + 1
    assert value("companion_crm_breaker_transitions_total", state="closed") == closed + 1


def test_requests_are_timed_by_url_rule_and_status_class(client, auth):
    ok = value("companion_http_request_duration_seconds_count", endpoint="/v1/trace", status_class="2xx")
    refused = value("companion_http_request_duration_seconds_count", endpoint="/v1/trace", status_class="4xx")
    assert client.post("/v1/trace", json={"conversationId": "m-1"}, headers=auth).status_code == 200
    assert client.post("/v1/trace", json={"conversationId": "m-2"}).status_code == 401
    assert value("companion_http_request_duration_seconds_count", endpoint="/v1/trace", status_class="2xx") == ok + 1
    assert value("companion_http_request_duration_seconds_count", endpoint="/v1/trace", status_class="4xx") == refused + 1


def test_unknown_paths_share_one_series_so_a_scan_cannot_grow_the_metrics(client):
    unmatched = value("companion_http_request_duration_seconds_count", endpoint="unmatched", status_class="4xx")
    for n in range(3):
        assert client.get(f"/wp-admin/{n}.php").status_code == 404
    assert client.get("/v1/trace").status_code == 405
    assert value("companion_http_request_duration_seconds_count", endpoint="unmatched", status_class="4xx") == unmatched + 4
    body = client.get("/metrics").get_data(as_text=True)
    assert "wp-admin" not in body


def test_a_failing_request_counts_as_5xx_and_leaves_the_in_flight_gauge(settings_env):
    from service import create_app

    app = create_app(load_settings(settings_env))
    app.add_url_rule("/v1/broken", "broken", lambda: 1 / 0, methods=["POST"])
    client = app.test_client()
    failed = value("companion_http_request_duration_seconds_count", endpoint="/v1/broken", status_class="5xx")
    in_flight = value("companion_http_requests_in_flight")
    response = client.post("/v1/broken", json={})
    assert response.status_code == 500 and response.json["error"]["code"] == "internal_error"
    assert value("companion_http_request_duration_seconds_count", endpoint="/v1/broken", status_class="5xx") == failed + 1
    assert value("companion_http_requests_in_flight") == in_flight


def test_metrics_endpoint_counts_itself_in_flight_and_returns_to_zero(client):
    in_flight = value("companion_http_requests_in_flight")
    body = client.get("/metrics").get_data(as_text=True)
    assert scraped(body, "companion_http_requests_in_flight") == in_flight + 1
    assert value("companion_http_requests_in_flight") == in_flight


def test_metrics_endpoint_serves_the_prometheus_text_format_without_a_key_by_default(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "# TYPE companion_http_request_duration_seconds histogram" in body
    assert "# TYPE companion_crm_breaker_state gauge" in body
    # CRM series exist at 0 before the first lookup, so rate() and ratios work from the start.
    assert scraped(body, "companion_crm_cache_requests_total", result="hit") is not None
    assert scraped(body, "companion_crm_lookup_duration_seconds_count", outcome="breaker_open") is not None


def test_metrics_endpoint_speaks_openmetrics_when_the_scraper_asks(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    assert response.mimetype == "application/openmetrics-text"
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")


def test_metrics_auth_setting_puts_metrics_behind_the_api_keys(settings_env):
    from service import create_app

    client = create_app(load_settings({**settings_env, "COMPANION_METRICS_AUTH": "1"})).test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    assert client.get("/metrics", headers={"X-API-Key": "wrong-key-0123456789abc"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200


def test_metrics_dir_setting_is_a_path_and_unset_by_default(tmp_path):
    base = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": "s" * 20}
    assert load_settings(base).metrics_dir is None
    assert load_settings({**base, "COMPANION_METRICS_DIR": str(tmp_path)}).metrics_dir == tmp_path


def test_status_class_groups_by_hundreds():
    assert [metrics.status_class(s) for s in (200, 204, 401, 413, 500, 503)] == ["2xx", "2xx", "4xx", "4xx", "5xx", "5xx"]
