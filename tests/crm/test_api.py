"""POST /v1/customer and POST /v1/context through the Flask test client, over the demo customers.

Every test here runs twice: against the SQLite store and against the PostgreSQL store (a real server,
tests/postgres_server.py), holding the same demo customers; the answers must be the same.
"""

from __future__ import annotations

import pytest

from schemas import ContextResponse
from schemas import CustomerResponse
from service import create_app
from service.config import load_settings
from service.crm.base import Lookup
from service.crm.demo import REGULAR_PHONE
from service.crm.demo import UNKNOWN_PHONE
from service.crm.demo import VIP_CUSTOMER_ID
from service.crm.demo import VIP_PHONE
from service.metrics import CRM_LOOKUP_DURATION

CUSTOMER_KEYS = list(CustomerResponse().fields)
CONTEXT_KEYS = list(ContextResponse().fields)
EMPTY_CUSTOMER = {
    "customerId": "", "firstName": "", "lastName": "", "displayName": "", "email": "", "phone": "",
    "accountNumber": "", "tier": "", "segment": "", "preferredLanguage": "", "priority": 0, "vip": False,
    "openCases": 0, "lastContactAt": "",
}


@pytest.fixture(params=["sqlite", "postgres"])
def store(request):
    """The CRM backend these tests run against."""
    return request.param


@pytest.fixture
def settings_env(settings_env, store, request):
    """The shared settings, pointed at the store under test."""
    if store == "postgres":
        return {**settings_env, "COMPANION_CRM_BACKEND": "postgres",
                "COMPANION_DATABASE_URL": request.getfixturevalue("postgres_demo_url")}
    return settings_env


def post(client, auth, path, body):
    return client.post(path, json=body, headers=auth)


@pytest.mark.parametrize(
    "phone",
    ["tel:+13175550116", "tel: +13175550116", "sip:+13175550116@10.0.0.1;user=phone", "+1 (317) 555-0116",
     "(317) 555-0116", "3175550116"],
)
def test_vip_caller_is_found_from_every_ani_form(client, auth, phone, store):
    response = post(client, auth, "/v1/customer", {"phone": phone})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == CUSTOMER_KEYS
    assert body["found"] is True and body["degraded"] is False and body["source"] == store
    assert (body["customerId"], body["displayName"], body["tier"], body["vip"], body["phone"]) == (
        VIP_CUSTOMER_ID, "Ada Lovelace", "platinum", True, VIP_PHONE)


def test_regular_caller_is_found_and_not_vip(client, auth):
    body = post(client, auth, "/v1/customer", {"phone": f"tel:{REGULAR_PHONE}"}).get_json()
    assert (body["found"], body["tier"], body["vip"]) == (True, "standard", False)


def test_unknown_caller_gets_found_false_not_404_with_every_default(client, auth, store):
    response = post(client, auth, "/v1/customer", {"phone": f"tel:{UNKNOWN_PHONE}"})
    assert response.status_code == 200
    assert response.get_json() == {"found": False, "degraded": False, "source": store, **EMPTY_CUSTOMER}


@pytest.mark.parametrize(
    "keys",
    [{"customerId": VIP_CUSTOMER_ID}, {"email": "  ADA.LOVELACE@example.COM "}, {"accountNumber": "ACC-10000001"}],
)
def test_other_keys_find_the_customer(client, auth, keys):
    assert post(client, auth, "/v1/customer", keys).get_json()["customerId"] == VIP_CUSTOMER_ID


def test_no_key_is_a_400_naming_the_keys(client, auth):
    for body in ({}, {"phone": "  ", "email": ""}, {"unrelated": "x"}):
        response = post(client, auth, "/v1/customer", body)
        assert response.status_code == 400
        assert response.get_json()["error"]["fields"] == {
            "_schema": ["at least one of phone, customerId, email, accountNumber is required"]}


@pytest.mark.parametrize("phone", ["tel:anonymous", "+1 555 555 5555", "sip:gateway.example.com", "12"])
def test_unparseable_phone_is_a_400_with_the_reason_under_phone(client, auth, phone):
    response = post(client, auth, "/v1/customer", {"phone": phone})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert list(error["fields"]) == ["phone"] and error["fields"]["phone"][0].startswith("Not a usable phone number")


@pytest.mark.parametrize(
    "body",
    [
        {"phone": 13175550116},
        {"phone": None},
        {"phone": ["tel:+13175550116"]},
        {"phone": {"nested": "x"}},
        {"email": True},
        {"customerId": "x" * 10_000},
        {"phone": "tel:+1" + "9" * 300},
    ],
)
def test_hostile_inputs_get_a_json_4xx_never_a_500(client, auth, body):
    for path in ("/v1/customer", "/v1/context"):
        response = post(client, auth, path, {"conversationId": "c-1", **body})
        assert 400 <= response.status_code < 500, (path, response.get_json())
        assert "error" in response.get_json()


@pytest.mark.parametrize("phone", ["\u202e\u0000\ud7ff漢字", "tel:+1" + "9" * 200, "sip:@", "tel:;;;"])
def test_garbage_phone_is_a_400_for_customer_and_a_miss_for_context(client, auth, phone):
    assert post(client, auth, "/v1/customer", {"phone": phone}).status_code == 400
    context = post(client, auth, "/v1/context", {"conversationId": "c-1", "phone": phone})
    assert context.status_code == 200 and context.get_json()["found"] is False


def test_unicode_and_odd_keys_are_plain_misses(client, auth):
    for keys in ({"customerId": "漢字 ' OR 1=1 --"}, {"email": "%@%"}, {"accountNumber": "*"}):
        body = post(client, auth, "/v1/customer", keys).get_json()
        assert body["found"] is False and body["degraded"] is False


def test_context_returns_trace_and_customer_fields_flat(client, auth):
    trace = post(client, auth, "/v1/trace", {"conversationId": "conv-1", "participantId": "p-1"}).get_json()
    body = {"conversationId": "conv-1", "participantId": "p-1", "phone": f"tel:{VIP_PHONE}"}
    response = post(client, auth, "/v1/context", body)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == CONTEXT_KEYS
    assert {k: body[k] for k in trace} == trace
    assert (body["found"], body["customerId"], body["vip"]) == (True, VIP_CUSTOMER_ID, True)


@pytest.mark.parametrize("extra", [{}, {"phone": ""}, {"phone": "tel:anonymous"}, {"phone": "not a number at all"}])
def test_context_without_a_usable_phone_still_answers_with_the_trace_and_found_false(client, auth, extra):
    response = post(client, auth, "/v1/context", {"conversationId": "conv-2", **extra})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["traceId"]) == 32 and body["traceparent"].startswith("00-")
    assert {k: body[k] for k in EMPTY_CUSTOMER} == EMPTY_CUSTOMER and body["found"] is False


def test_context_with_an_unusable_phone_still_looks_up_the_other_keys(client, auth):
    body = post(client, auth, "/v1/context", {"conversationId": "c", "phone": "tel:anonymous",
                                               "customerId": VIP_CUSTOMER_ID}).get_json()
    assert body["found"] is True and body["customerId"] == VIP_CUSTOMER_ID


def test_context_requires_the_conversation_id(client, auth):
    response = post(client, auth, "/v1/context", {"phone": f"tel:{VIP_PHONE}"})
    assert response.status_code == 400 and "conversationId" in response.get_json()["error"]["fields"]


class _FailingBackend:
    """A backend whose CRM is down: it answers degraded, as every backend must."""

    name = "http"

    def lookup(self, keys):
        return Lookup(None, "none", degraded=True, outcome="timeout", reason="CRM timed out after 1500 ms")

    def readiness(self):
        return None

    def close(self):
        pass


class _RaisingBackend(_FailingBackend):
    """A backend with a bug: it raises instead of answering degraded."""

    def lookup(self, keys):
        raise RuntimeError("bug in a backend")


def _app_with(backend, settings_env, **env):
    app = create_app(load_settings({**settings_env, **env}))
    app.extensions["companion.crm"] = backend
    return app


@pytest.mark.parametrize("backend", [_FailingBackend(), _RaisingBackend()])
def test_crm_failure_is_a_degraded_200_and_the_trace_is_still_there(settings_env, auth, backend):
    client = _app_with(backend, settings_env).test_client()
    customer = post(client, auth, "/v1/customer", {"phone": f"tel:{VIP_PHONE}"})
    assert customer.status_code == 200
    assert customer.get_json() == {"found": False, "degraded": True, "source": customer.get_json()["source"],
                                   **EMPTY_CUSTOMER}
    context = post(client, auth, "/v1/context", {"conversationId": "c", "phone": f"tel:{VIP_PHONE}"})
    assert context.status_code == 200
    body = context.get_json()
    assert body["degraded"] is True and body["found"] is False and len(body["traceId"]) == 32


def test_degraded_answers_become_503_when_configured(settings_env, auth):
    client = _app_with(_FailingBackend(), settings_env, COMPANION_DEGRADED_AS_503="true").test_client()
    for path in ("/v1/customer", "/v1/context"):
        response = post(client, auth, path, {"conversationId": "c", "phone": f"tel:{VIP_PHONE}"})
        assert response.status_code == 503
        assert response.get_json() == {"error": {
            "code": "unavailable", "message": "The CRM could not answer: CRM timed out after 1500 ms."}}


def test_a_miss_is_still_200_when_degraded_answers_are_503(settings_env, auth):
    client = create_app(load_settings({**settings_env, "COMPANION_DEGRADED_AS_503": "1"})).test_client()
    assert post(client, auth, "/v1/customer", {"phone": UNKNOWN_PHONE}).status_code == 200


def _lookups(outcome: str) -> float:
    """How many lookups the histogram has counted for outcome (its per-bucket counts add up to that)."""
    return sum(bucket.get() for bucket in CRM_LOOKUP_DURATION.labels(outcome)._buckets)


def test_lookups_are_counted_by_outcome(client, auth):
    before = {outcome: _lookups(outcome) for outcome in ("hit", "miss")}
    post(client, auth, "/v1/customer", {"phone": VIP_PHONE})
    post(client, auth, "/v1/customer", {"phone": UNKNOWN_PHONE})
    post(client, auth, "/v1/customer", {"phone": UNKNOWN_PHONE})
    assert _lookups("hit") - before["hit"] == 1
    assert _lookups("miss") - before["miss"] == 2


def test_access_log_has_the_outcome_and_only_a_masked_phone(client, auth, caplog, store):
    caplog.set_level("INFO", logger="companion.access")
    import logging

    logging.getLogger("companion").addHandler(caplog.handler)
    try:
        post(client, auth, "/v1/customer", {"phone": "sip:+13175550116@10.0.0.1;user=phone"})
        post(client, auth, "/v1/context", {"conversationId": "c", "phone": "+1 555 555 5555"})
    finally:
        logging.getLogger("companion").removeHandler(caplog.handler)
    lines = [r for r in caplog.records if r.name == "companion.access"]
    assert lines[0].__dict__["crm.outcome"] == "hit" and lines[0].__dict__["crm.source"] == store
    assert lines[0].__dict__["crm.phone"] == "+*******0116"
    assert "crm.skipped" in lines[1].__dict__
    text = " ".join(str(r.__dict__) for r in lines)
    assert "3175550116" not in text and "5555555" not in text


def test_openapi_documents_both_routes_with_their_schemas(client):
    document = client.get("/openapi.json").get_json()
    for path, request, response in (("/v1/customer", "CustomerQuery", "CustomerResponse"),
                                    ("/v1/context", "ContextRequest", "ContextResponse")):
        operation = document["paths"][path]["post"]
        text = str(operation)
        assert request in text and response in text
        assert {"200", "400", "401", "503"} <= set(operation["responses"])


def test_both_routes_need_the_api_key(client):
    for path in ("/v1/customer", "/v1/context"):
        assert client.post(path, json={"conversationId": "c", "phone": VIP_PHONE}).status_code == 401
