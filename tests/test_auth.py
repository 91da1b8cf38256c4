"""API-key authentication on /v1 routes."""

import pytest

from tests.conftest import API_KEY
from tests.conftest import OTHER_KEY
from tests.conftest import basic_auth

BODY = {"conversationId": "c-1"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {API_KEY}"},
        {"Authorization": f"bearer {API_KEY}"},
        {"X-API-Key": API_KEY},
        basic_auth("genesys", API_KEY),
        basic_auth("", API_KEY),
    ],
    ids=["bearer", "bearer-lowercase", "x-api-key", "basic", "basic-empty-user"],
)
def test_each_supported_scheme_is_accepted(client, headers):
    assert client.post("/v1/trace", json=BODY, headers=headers).status_code == 200


def test_every_configured_key_is_valid_during_rotation(client):
    for key in (API_KEY, OTHER_KEY):
        assert client.post("/v1/trace", json=BODY, headers={"X-API-Key": key}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key-0123456789"},
        {"Authorization": f"Bearer {API_KEY}x"},
        {"Authorization": f"Bearer {API_KEY[:-1]}"},
        {"X-API-Key": ""},
        {"Authorization": API_KEY},
        {"Authorization": f"Token {API_KEY}"},
        basic_auth(API_KEY, "wrong"),
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Basic " + "bm8tY29sb24="},  # "no-colon"
    ],
    ids=["none", "wrong", "longer", "shorter", "empty", "no-scheme", "unknown-scheme", "basic-user-is-key",
         "basic-garbage", "basic-no-colon"],
)
def test_wrong_or_missing_key_gets_401_json(client, headers):
    response = client.post("/v1/trace", json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_rotating_out_a_key_rejects_it(settings_env):
    from service import create_app
    from service.config import load_settings

    settings_env["COMPANION_API_KEYS"] = OTHER_KEY
    client = create_app(load_settings(settings_env)).test_client()
    assert client.post("/v1/trace", json=BODY, headers={"X-API-Key": API_KEY}).status_code == 401
    assert client.post("/v1/trace", json=BODY, headers={"X-API-Key": OTHER_KEY}).status_code == 200


def test_auth_is_checked_before_the_body_is_read(client):
    response = client.post("/v1/trace", data=b"not json", content_type="text/plain")
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json"])
def test_probe_and_docs_routes_need_no_key(client, path):
    assert client.get(path).status_code == 200
