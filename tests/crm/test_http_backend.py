"""HTTP backend against a real local CRM stub: answers, faults inside the deadline, retry, URL template."""

from __future__ import annotations

import pytest

from tests.crm.http_fixtures import ANN
from tests.crm.http_fixtures import ANN_PHONE
from tests.crm.http_fixtures import DEADLINE_MS
from tests.crm.http_fixtures import SLACK_S
from tests.crm.http_fixtures import crm  # noqa: F401 (fixture)
from tests.crm.http_fixtures import crm_log  # noqa: F401 (fixture)
from tests.crm.http_fixtures import make_backend  # noqa: F401 (fixture)
from tests.crm.http_fixtures import timed
from tests.run_delay import timing

DEADLINE_S = DEADLINE_MS / 1000


def test_known_caller_gets_the_crm_record_with_our_field_names(make_backend):
    result = make_backend().lookup({"phone": ANN_PHONE})
    assert (result.found, result.source, result.degraded, result.outcome) == (True, "http", False, "hit")
    assert result.record == {**ANN, "displayName": "Ann Lee"}


def test_unknown_caller_404_is_a_miss_not_a_failure(make_backend, crm):
    backend = make_backend()
    result = backend.lookup({"phone": "+442079460000"})
    assert (result.found, result.source, result.degraded, result.outcome) == (False, "http", False, "miss")
    assert backend.breaker_state == "closed"
    assert crm.request_count == 1


@pytest.mark.parametrize("document", [[], {}, None], ids=["empty-list", "empty-object", "null"])
def test_empty_answers_are_misses(make_backend, crm, document):
    crm.wrong_shape(document)
    result = make_backend().lookup({"phone": ANN_PHONE})
    assert (result.found, result.degraded, result.outcome) == (False, False, "miss")


def test_a_list_of_matches_gives_the_first(make_backend, crm):
    crm.wrong_shape([{"customerId": "FIRST"}, {"customerId": "SECOND"}])
    assert make_backend().lookup({"phone": ANN_PHONE}).record["customerId"] == "FIRST"


def test_auth_header_is_sent_as_configured(make_backend, crm):
    make_backend(CRM_AUTH_HEADER="Authorization: Bearer s3cr3t-token").lookup({"phone": ANN_PHONE})
    assert crm.received[0].headers["Authorization"] == "Bearer s3cr3t-token"


def test_custom_auth_header_name(make_backend, crm):
    make_backend(CRM_AUTH_HEADER="X-Api-Key:  k-123 ").lookup({"phone": ANN_PHONE})
    assert crm.received[0].headers["X-Api-Key"] == "k-123"


def test_key_values_are_url_encoded_in_path_and_query(make_backend, crm):
    backend = make_backend(CRM_URL_TEMPLATE=crm.template("/people/{email}?via={phone}"))
    backend.lookup({"email": "ann+ivr@example.com"})
    assert crm.received[0].path == "/people/ann%2Bivr%40example.com"
    backend.lookup({"phone": ANN_PHONE})
    # "+" unencoded in a query would reach the CRM as a space.
    assert crm.received[1].query == {"via": [ANN_PHONE]}


def test_most_specific_key_the_template_uses_wins(make_backend, crm):
    backend = make_backend(CRM_URL_TEMPLATE=crm.template("/search?id={customerId}&phone={phone}"))
    result = backend.lookup({"phone": "+442079460000", "customerId": ANN["customerId"]})
    assert crm.received[0].query == {"id": [ANN["customerId"]], "phone": [""]}
    assert result.record["customerId"] == ANN["customerId"]


def test_no_key_the_template_uses_is_a_miss_without_a_request(make_backend, crm):
    result = make_backend().lookup({"email": "ann.lee@example.com"})
    assert (result.found, result.degraded, result.outcome, result.source) == (False, False, "miss", "none")
    assert "phone" in result.reason
    assert crm.request_count == 0


# -- faults: each answers inside the deadline, degraded, found false, with its outcome --------------------


def _assert_degraded_inside_deadline(result, elapsed, outcome):
    assert elapsed <= DEADLINE_S + SLACK_S, f"took {elapsed * 1000:.0f} ms"
    assert (result.found, result.degraded, result.source, result.outcome) == (False, True, "none", outcome)
    assert result.reason


def test_slow_crm_times_out_at_the_deadline(make_backend, crm):
    crm.slow(DEADLINE_MS + 700)
    backend = make_backend()
    with timing() as span:
        result, elapsed = timed(backend, {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "timeout")
    assert span.wall_s >= DEADLINE_S - 0.02  # it did wait for the CRM as long as it was allowed to
    assert crm.request_count == 1  # a read timeout is not retried: the CRM may still be working on it


def test_refused_connection_is_an_error_and_retried_once(make_backend, crm):
    crm.refuse()
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert result.reason == "CRM refused the connection (after one retry)"


def test_500_is_an_error_and_not_retried(make_backend, crm):
    crm.status(500)
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert "HTTP 500" in result.reason
    assert crm.request_count == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_exactly_once(make_backend, crm, status):
    crm.status(status)
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert crm.request_count == 2


def test_retry_succeeds_when_the_crm_recovers(make_backend, crm):
    crm.flapping(every=1, failure_status=503)
    backend = make_backend()
    assert backend.lookup({"phone": ANN_PHONE}).outcome == "hit"  # request 1 healthy
    result = backend.lookup({"phone": "+13175550199"})  # request 2: 503, request 3: healthy (a 404 miss)
    assert (result.outcome, result.degraded) == ("miss", False)
    assert crm.request_count == 3


def test_no_retry_when_too_little_budget_is_left(make_backend, crm):
    crm.status(503, delay_ms=DEADLINE_MS - 60)
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert crm.request_count == 1
    assert "retry" not in result.reason


def test_retry_stays_inside_the_budget(make_backend, crm):
    # The first 503 takes a third of the budget, leaving twice the RETRY_MIN_REMAINING_S a retry needs: a
    # host that delays the answer by up to 100 ms still sees the retry. (It used to take 60 %, leaving 120 ms
    # against the 100 ms needed: 20 ms of host delay skipped the retry and failed the test.) The retry is slow
    # and gets only what is left: cut at the deadline, not 300 ms after its start (which would be ~400 ms).
    crm.status_then_slow(503, delay_ms=DEADLINE_MS / 3, slow_ms=DEADLINE_MS + 700)
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    assert crm.request_count == 2, result.reason
    _assert_degraded_inside_deadline(result, elapsed, "timeout")
    first, second = crm.received
    assert second.at - first.at <= DEADLINE_S


def test_non_json_answer_is_an_error_with_a_log_line(make_backend, crm, crm_log):
    crm.garbage()
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert result.reason == "CRM answer is not JSON"
    failures = [r for r in crm_log if r.getMessage() == "CRM lookup failed"]
    assert len(failures) == 1
    assert (failures[0].reason, failures[0].outcome, failures[0].lookupKey) == (
        "CRM answer is not JSON",
        "error",
        "phone",
    )


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "read-until-close"])
def test_oversized_answer_is_an_error(make_backend, crm, declare_length):
    crm.huge(200_000, declare_length=declare_length)
    result, elapsed = timed(make_backend(CRM_MAX_RESPONSE_BYTES="65536"), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert "65536-byte limit" in result.reason


def test_answer_just_under_the_limit_is_read(make_backend, crm):
    crm.huge(60_000, declare_length=False)
    result = make_backend(CRM_MAX_RESPONSE_BYTES="65536").lookup({"phone": ANN_PHONE})
    assert (result.outcome, result.record["customerId"]) == ("hit", "HUGE")


@pytest.mark.parametrize(
    "document, found",
    [(["a", "b"], "a list of a string"), (42, "a number"), ("Ann", "a string"), ([[{"x": 1}]], "a list of a list")],
)
def test_wrong_shape_is_an_error_naming_what_came(make_backend, crm, document, found):
    crm.wrong_shape(document)
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert result.reason.startswith("CRM answer has the wrong shape: " + found)


def test_trickling_body_is_cut_at_the_deadline(make_backend, crm):
    # One byte every 20 ms: each read is quick, the whole body would take about 1.2 s.
    crm.trickle(20)
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "timeout")


def test_trickling_body_that_fits_the_budget_is_read(make_backend, crm):
    crm.trickle(2, body={"customerId": "T"})
    result = make_backend().lookup({"phone": ANN_PHONE})
    assert (result.outcome, result.record["customerId"]) == ("hit", "T")


def test_hang_up_without_answer_is_an_error_retried_once(make_backend, crm):
    crm.hangup()
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert crm.request_count == 2


def test_redirect_is_not_followed(make_backend, crm):
    crm.status(302)
    result, elapsed = timed(make_backend(), {"phone": ANN_PHONE})
    _assert_degraded_inside_deadline(result, elapsed, "error")
    assert "redirects are not followed" in result.reason
    assert crm.request_count == 1


def test_a_refused_credential_is_a_degraded_failure(make_backend, crm):
    crm.status(401)
    result, _ = timed(make_backend(), {"phone": ANN_PHONE})
    assert (result.outcome, result.degraded) == ("error", True)
    assert result.reason == "CRM refused our credentials (HTTP 401); check COMPANION_CRM_AUTH_HEADER"


def test_flapping_crm_alternates_answers_and_failures(make_backend, crm):
    crm.flapping(every=1, failure_status=500)
    backend = make_backend(CRM_CACHE_TTL_S="0", CRM_BREAKER_FAILURES="10")
    outcomes = [backend.lookup({"phone": ANN_PHONE}).outcome for _ in range(4)]
    assert outcomes == ["hit", "stale", "hit", "stale"]


def test_failure_log_lines_hold_no_phone_number_and_no_secret(make_backend, crm, crm_log):
    crm.status(500)
    make_backend(CRM_AUTH_HEADER="Authorization: Bearer s3cr3t-token").lookup({"phone": ANN_PHONE})
    assert crm_log
    for record in crm_log:
        text = str(record.__dict__)
        assert "5550116" not in text and "s3cr3t" not in text


def test_pooled_connection_is_reused(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0", CRM_CACHE_MISS_TTL_S="0")
    for _ in range(3):
        backend.lookup({"phone": ANN_PHONE})
        backend.lookup({"phone": "+13175550199"})  # 404s keep the connection too
    assert crm.request_count == 6
    assert crm.connection_count == 1


def test_closed_backend_answers_degraded_instead_of_raising(make_backend):
    backend = make_backend(CRM_CACHE_TTL_S="0")
    backend.close()
    result = backend.lookup({"phone": ANN_PHONE})
    assert (result.found, result.degraded, result.outcome) == (False, True, "error")
