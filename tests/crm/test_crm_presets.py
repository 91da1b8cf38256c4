"""The four CRM presets against local stand-ins of each vendor's API and token endpoint (tests/crm/vendor_standins.py):
/v1/customer finds the caller whatever format the CRM stored the number in, custom fields included, and the
transport's promises (deadline, degraded answers, breaker, cache, gzip, 429, 401) hold for every preset."""

from __future__ import annotations

import pytest

from service import metrics
from service.app import create_app
from service.config import ConfigError
from service.config import load_settings
from service.config import read_settings
from service.crm.http import HttpBackend
from tests.crm import vendor_standins as standins
from tests.crm.vendor_standins import VendorStandIn

API_KEY = "test-key-0123456789abcdef"
PRESETS = ("salesforce", "hubspot", "zendesk", "dynamics")
OAUTH_PRESETS = ("salesforce", "dynamics")
# The fields file's custom field and where each vendor keeps it.
VENDOR_TIER = {"salesforce": "Tier__c", "hubspot": "customer_tier", "zendesk": "tier", "dynamics": "new_tier"}
ANN_ID = {"salesforce": "003Dn00000QX9fKIAT", "hubspot": "51", "zendesk": "35436", "dynamics": standins.ANN_GUID}


def preset_env(vendor: str, crm: VendorStandIn, fields_file=None, **overrides: str) -> dict[str, str]:
    """The fewest settings each preset needs, pointed at its stand-in."""
    env = {
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": "test-trace-secret-0123456789",
        "COMPANION_CRM_BACKEND": vendor,
        "COMPANION_CRM_BASE_URL": crm.url,
        "COMPANION_CRM_DEADLINE_MS": "1000",
        "COMPANION_CRM_CONNECT_TIMEOUT_MS": "200",
        "COMPANION_CRM_BREAKER_FAILURES": "3",
    }
    if vendor in OAUTH_PRESETS:
        env |= {"COMPANION_CRM_CLIENT_ID": standins.CLIENT_ID, "COMPANION_CRM_CLIENT_SECRET": standins.CLIENT_SECRET}
    if vendor == "dynamics":
        env |= {"COMPANION_CRM_TENANT": standins.TENANT, "COMPANION_CRM_TOKEN_URL": crm.token_url}
    if vendor == "hubspot":
        env |= {"COMPANION_CRM_TOKEN": standins.PRIVATE_TOKEN}
    if vendor == "zendesk":
        env |= {"COMPANION_CRM_EMAIL": standins.ZENDESK_EMAIL, "COMPANION_CRM_TOKEN": standins.ZENDESK_TOKEN}
    if fields_file is not None:
        env["COMPANION_FIELDS_FILE"] = str(fields_file)
    env.update({f"COMPANION_{k}": v for k, v in overrides.items()})
    return env


@pytest.fixture(params=PRESETS)
def vendor(request):
    return request.param


@pytest.fixture
def crm(vendor):
    with VendorStandIn(vendor) as standin:
        yield standin


@pytest.fixture
def fields_file(vendor, tmp_path):
    path = tmp_path / "fields.yaml"
    path.write_text(
        "fields:\n"
        f"  serviceLevel: {{type: string, description: Support plan, path: {VENDOR_TIER[vendor]}}}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def make_backend(vendor, crm):
    made = []

    def make(**overrides: str) -> HttpBackend:
        backend = HttpBackend(load_settings(preset_env(vendor, crm, **overrides)))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def test_each_preset_answers_v1_customer_with_the_callers_fields(vendor, crm, fields_file):
    app = create_app(load_settings(preset_env(vendor, crm, fields_file)))
    answer = app.test_client().post(
        "/v1/customer", json={"phone": "+1 (317) 555-0116"}, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["found"], body["degraded"], body["source"]) == (True, False, "http")
    assert body["customerId"] == ANN_ID[vendor]
    assert body["email"] == "ann.lee@example.com"
    assert body["serviceLevel"] == "gold"
    if vendor != "zendesk":
        assert (body["firstName"], body["lastName"]) == ("Ann", "Lee")
    if vendor != "hubspot":
        assert body["displayName"] == "Ann Lee"


def test_each_preset_finds_by_email_and_by_id(make_backend, vendor):
    backend = make_backend()
    assert backend.lookup({"email": "ann.lee@example.com"}).record["customerId"] == ANN_ID[vendor]
    assert backend.lookup({"customerId": ANN_ID[vendor]}).record["customerId"] == ANN_ID[vendor]


def test_no_match_is_found_false_not_degraded(make_backend, crm):
    backend = make_backend()
    for keys in ({"phone": "+13175550199"}, {"email": "nobody@example.com"}):
        result = backend.lookup(keys)
        assert (result.outcome, result.record, result.degraded) == ("miss", None, False)
    assert crm.api_calls == 2


def test_an_id_the_vendor_cannot_have_is_a_miss_without_a_call(make_backend, crm):
    result = make_backend().lookup({"customerId": "../../services/oauth2"})
    assert (result.outcome, result.degraded) == ("miss", False)
    assert crm.api_calls == 0


def test_gzip_answers_are_decoded(make_backend, crm, vendor):
    crm.compress = True
    result = make_backend().lookup({"phone": standins.ANN_E164})
    assert result.outcome == "hit" and result.record["customerId"] == ANN_ID[vendor]


def test_a_429_with_retry_after_inside_the_budget_is_waited_out_and_counted(make_backend, crm):
    waited = metrics.CRM_THROTTLED.labels("waited")._value.get()
    crm.throttle(1, "0")
    result = make_backend().lookup({"phone": standins.ANN_E164})
    assert result.outcome == "hit"
    assert crm.api_calls == 1  # the 429 itself is answered before the API counts a call
    assert metrics.CRM_THROTTLED.labels("waited")._value.get() == waited + 1


def test_a_429_asking_for_longer_than_the_deadline_answers_degraded_at_once(make_backend, crm):
    gave_up = metrics.CRM_THROTTLED.labels("gave_up")._value.get()
    crm.throttle(1, "30")
    result = make_backend().lookup({"phone": standins.ANN_E164})
    assert (result.outcome, result.degraded) == ("error", True)
    assert "Retry-After 30 s is past the deadline" in result.reason
    assert metrics.CRM_THROTTLED.labels("gave_up")._value.get() == gave_up + 1


def test_degraded_breaker_and_cache_hold_for_every_preset(make_backend, crm, vendor):
    backend = make_backend(CRM_CACHE_TTL_S="0")
    assert backend.lookup({"phone": standins.ANN_E164}).outcome == "hit"
    crm.fail(503)
    for _ in range(3):
        stale = backend.lookup({"phone": standins.ANN_E164})
        assert (stale.outcome, stale.source, stale.degraded) == ("stale", "cache", True)
        assert stale.record["customerId"] == ANN_ID[vendor]
    assert backend.breaker_state == "open"
    calls = crm.api_calls
    unknown = backend.lookup({"phone": "+13175550199"})
    assert (unknown.outcome, unknown.degraded) == ("breaker_open", True)
    assert crm.api_calls == calls


@pytest.mark.parametrize("vendor", OAUTH_PRESETS)
def test_the_token_is_fetched_once_per_process_not_per_request(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0", CRM_CACHE_MISS_TTL_S="0")
    for phone in ("+13175550116", "+13175550199", "+13175550116", "+13175550142"):
        assert backend.lookup({"phone": phone}).degraded is False
    assert (crm.token_calls, crm.api_calls) == (1, 4)
    assert backend.token.fetches == 1


@pytest.mark.parametrize("vendor", OAUTH_PRESETS)
def test_an_expired_token_gets_one_new_token_after_the_401(make_backend, crm):
    backend = make_backend(CRM_CACHE_TTL_S="0")
    assert backend.lookup({"phone": standins.ANN_E164}).outcome == "hit"
    crm.revoke_tokens()
    result = backend.lookup({"phone": standins.ANN_E164})
    assert (result.outcome, result.degraded) == ("hit", False)
    assert crm.token_calls == 2


@pytest.mark.parametrize("vendor", OAUTH_PRESETS)
def test_a_refused_client_secret_is_degraded_and_does_not_open_the_breaker(make_backend, crm):
    backend = make_backend(CRM_CLIENT_SECRET="not-the-secret")
    for _ in range(4):
        result = backend.lookup({"phone": standins.ANN_E164})
        assert (result.outcome, result.degraded) == ("error", True)
        assert result.reason == "OAuth token endpoint refused the client credentials (invalid_client)"
    assert backend.breaker_state == "closed"
    assert crm.api_calls == 0


@pytest.mark.parametrize("vendor", ("hubspot", "zendesk"))
def test_a_refused_api_token_names_the_setting_to_check(make_backend, crm):
    result = make_backend(CRM_TOKEN="wrong-token").lookup({"phone": standins.ANN_E164})
    assert (result.outcome, result.degraded) == ("error", True)
    assert "CRM refused our credentials (HTTP 401); check COMPANION_CRM_" in result.reason
    assert "TOKEN" in result.reason


@pytest.mark.parametrize(
    ("vendor", "missing", "expected"),
    [
        ("salesforce", "CRM_CLIENT_SECRET", "COMPANION_CRM_CLIENT_SECRET: required for COMPANION_CRM_BACKEND=salesforce"),
        ("hubspot", "CRM_TOKEN", "COMPANION_CRM_TOKEN: required for COMPANION_CRM_BACKEND=hubspot"),
        ("zendesk", "CRM_EMAIL", "COMPANION_CRM_EMAIL: required for COMPANION_CRM_BACKEND=zendesk"),
        ("dynamics", "CRM_TENANT", "COMPANION_CRM_TENANT: required for COMPANION_CRM_BACKEND=dynamics"),
        ("dynamics", "CRM_BASE_URL", "COMPANION_CRM_BASE_URL: required for COMPANION_CRM_BACKEND=dynamics"),
    ],
)
def test_a_missing_preset_setting_is_a_start_up_problem(vendor, crm, missing, expected):
    env = preset_env(vendor, crm)
    del env[f"COMPANION_{missing}"]
    from service.crm import backend_problems

    settings, problems = read_settings(env)
    assert any(line.startswith(expected) for line in backend_problems(settings)), backend_problems(settings)
    with pytest.raises(ConfigError, match=expected.split(":")[0]):
        HttpBackend(settings)


def test_a_generic_setting_given_to_a_preset_is_a_problem_not_ignored(crm, vendor):
    settings, _ = read_settings(preset_env(vendor, crm, CRM_URL_TEMPLATE="https://crm.example/c?phone={phone}"))
    from service.crm import backend_problems

    assert backend_problems(settings) == [
        f"COMPANION_CRM_URL_TEMPLATE: not used with COMPANION_CRM_BACKEND={vendor}, which builds its own request"
    ]
