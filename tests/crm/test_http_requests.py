"""The generic HTTP backend's request: a method, a JSON body template whose values are escaped, several
headers, OAuth 2.0 client credentials; tokens renewed before expiry; Retry-After in both its forms."""

from __future__ import annotations

import email.utils
import json
import time

import pytest

from service.config import ConfigError
from service.config import load_settings
from service.crm.http import HttpBackend
from service.crm.http import retry_after_seconds
from service.crm.oauth import DEFAULT_LIFETIME_S
from service.crm.oauth import REFRESH_MARGIN_S
from service.crm.oauth import ClientCredentials
from service.crm.oauth import ClientCredentialsToken
from service.crm.request_spec import TemplateRequest
from tests.crm import vendor_standins as standins
from tests.crm.vendor_standins import VendorStandIn

HUBSPOT_BODY = json.dumps(
    {
        "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": "{customerId}"}]}],
        "properties": ["firstname", "lastname", "email"],
        "limit": 1,
    }
)


def generic_env(**overrides: str) -> dict[str, str]:
    env = {
        "COMPANION_API_KEYS": "test-key-0123456789abcdef",
        "COMPANION_TRACE_SECRET": "test-trace-secret-0123456789",
        "COMPANION_CRM_BACKEND": "http",
        "COMPANION_CRM_DEADLINE_MS": "1000",
        "COMPANION_CRM_CONNECT_TIMEOUT_MS": "200",
    }
    env.update({f"COMPANION_{k}": v for k, v in overrides.items()})
    return env


@pytest.fixture
def hubspot():
    with VendorStandIn("hubspot") as crm:
        yield crm


def hubspot_backend(crm: VendorStandIn) -> HttpBackend:
    return HttpBackend(
        load_settings(
            generic_env(
                CRM_METHOD="post",
                CRM_URL_TEMPLATE=f"{crm.url}/crm/v3/objects/contacts/search",
                CRM_BODY_TEMPLATE=HUBSPOT_BODY,
                CRM_HEADERS=json.dumps({"Authorization": f"Bearer {standins.PRIVATE_TOKEN}", "X-Request-Source": "ivr"}),
                CRM_RECORD_PATH="results",
                CRM_FIELD_MAP=json.dumps({"customerId": "id", "firstName": "properties.firstname"}),
            )
        )
    )


def test_a_post_with_a_body_template_and_several_headers_finds_the_customer(hubspot):
    backend = hubspot_backend(hubspot)
    try:
        result = backend.lookup({"customerId": "51"})
    finally:
        backend.close()
    assert (result.outcome, result.record["customerId"], result.record["firstName"]) == ("hit", "51", "Ann")
    sent = json.loads(hubspot.requests[-1]["body"])
    assert sent["filterGroups"][0]["filters"][0]["value"] == "51"


def test_body_values_are_json_escaped_so_a_key_cannot_add_a_filter(hubspot):
    hostile = '51", "operator": "HAS_PROPERTY'
    backend = hubspot_backend(hubspot)
    try:
        result = backend.lookup({"customerId": hostile})
    finally:
        backend.close()
    assert result.outcome == "miss"
    sent = json.loads(hubspot.requests[-1]["body"])
    assert sent["filterGroups"][0]["filters"][0] == {"propertyName": "hs_object_id", "operator": "EQ", "value": hostile}


def test_template_request_escapes_quotes_backslashes_and_control_characters():
    request = TemplateRequest("POST", "https://crm.example/search", '{"q": "email = \\"{email}\\""}')
    built = request.build("email", 'a"b\\c\n@example.com')
    assert json.loads(built.body) == {"q": 'email = "a"b\\c\n@example.com"'}
    assert built.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"CRM_BODY_TEMPLATE": "{phone}"}, "COMPANION_CRM_BODY_TEMPLATE: is not JSON"),
        ({"CRM_BODY_TEMPLATE": '{"q": "{phone}"}'}, "COMPANION_CRM_BODY_TEMPLATE: a body needs COMPANION_CRM_METHOD=POST"),
        ({"CRM_HEADERS": '{"X-Key": "a\\nb"}'}, "COMPANION_CRM_HEADERS: header X-Key: the value must be a non-empty one-line string"),
        ({"CRM_HEADERS": '{"Content-Length": "1"}'}, "COMPANION_CRM_HEADERS: header Content-Length is set by the HTTP client"),
        ({"CRM_HEADERS": "[1]"}, "COMPANION_CRM_HEADERS: must be a JSON object"),
        ({"CRM_METHOD": "DELETE"}, "COMPANION_CRM_METHOD: Must be one of: GET, POST."),
        ({"CRM_TOKEN_URL": "https://login.example/token"}, "COMPANION_CRM_CLIENT_ID: required for OAuth client credentials"),
    ],
)
def test_bad_request_settings_name_the_variable(overrides, expected):
    env = generic_env(CRM_URL_TEMPLATE="https://crm.example/contacts?phone={phone}", **overrides)
    with pytest.raises(ConfigError) as caught:
        HttpBackend(load_settings(env))
    assert expected in str(caught.value)


def test_generic_oauth_sends_the_scope_and_a_bearer_token():
    with VendorStandIn("dynamics") as crm:
        backend = HttpBackend(
            load_settings(
                generic_env(
                    CRM_URL_TEMPLATE=f"{crm.url}/api/data/v9.2/contacts?$filter=telephone1 eq '{{phone}}'",
                    CRM_RECORD_PATH="value",
                    CRM_TOKEN_URL=crm.token_url,
                    CRM_CLIENT_ID=standins.CLIENT_ID,
                    CRM_CLIENT_SECRET=standins.CLIENT_SECRET,
                    CRM_SCOPE=f"{crm.url}/.default",
                )
            )
        )
        try:
            result = backend.lookup({"phone": standins.ANN_E164})
        finally:
            backend.close()
        assert (result.outcome, result.degraded) == ("miss", False)  # authorised; no row stores the E.164 text
        token_request = next(r for r in crm.requests if r["path"].endswith("/token"))
        assert b"scope=" in token_request["body"] and b"grant_type=client_credentials" in token_request["body"]


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("vendor", "lifetime"), [("dynamics", 3599.0), ("salesforce", DEFAULT_LIFETIME_S)])
def test_a_token_is_renewed_just_before_it_expires(vendor, lifetime):
    clock = FakeClock()
    with VendorStandIn(vendor) as crm:
        credentials = ClientCredentials(crm.token_url, standins.CLIENT_ID, standins.CLIENT_SECRET, f"{crm.url}/.default")
        token = ClientCredentialsToken(credentials, clock=clock)
        first = token.get(1.0)
        clock.now += lifetime - REFRESH_MARGIN_S - 1
        assert token.get(1.0) == first and crm.token_calls == 1
        clock.now += 2
        assert token.get(1.0) != first and crm.token_calls == 2
        token.close()


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= retry_after_seconds(in_ten) <= 10


def test_settings_repr_hides_the_crm_secrets():
    settings = load_settings(
        generic_env(
            CRM_URL_TEMPLATE="https://crm.example/c?phone={phone}",
            CRM_HEADERS='{"X-Api-Key": "header-secret-value"}',
            CRM_TOKEN_URL="https://login.example/token",
            CRM_CLIENT_ID="client",
            CRM_CLIENT_SECRET="client-secret-value",
            CRM_TOKEN="api-token-value",
        )
    )
    shown = repr(settings)
    for secret in ("header-secret-value", "client-secret-value", "api-token-value"):
        assert secret not in shown


def test_a_preset_setting_given_to_the_generic_backend_is_a_problem_not_ignored():
    env = generic_env(CRM_URL_TEMPLATE="https://crm.example/c?phone={phone}", CRM_TENANT="contoso.onmicrosoft.com")
    with pytest.raises(ConfigError, match="COMPANION_CRM_TENANT: only read by the presets"):
        HttpBackend(load_settings(env))
