"""Input the schemas cannot see: lone surrogates in JSON strings, doubled slashes in the path."""

import json
import logging

import pytest

from tests.conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/trace", '{"conversationId": "\\ud800"}', "conversationId"),
        ("/v1/trace", '{"conversationId": "c-1", "participantId": "p\\udfff"}', "participantId"),
        ("/v1/context", '{"conversationId": "\\udbff-x"}', "conversationId"),
        ("/v1/context", '{"conversationId": "c-1", "customerId": "\\udc00"}', "customerId"),
        ("/v1/customer", '{"customerId": "bad-\\ud800"}', "customerId"),
        ("/v1/customer", '{"phone": "+1317\\ud8005550116"}', "phone"),
    ],
)
def test_a_lone_surrogate_is_a_400_naming_the_field(client, path, body, field):
    response = client.post(path, data=body, headers=AUTH)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert list(error["fields"]) == [field]
    assert "lone UTF-16 surrogate" in error["fields"][field][0]


def test_a_surrogate_pair_is_one_character_and_accepted(client):
    response = client.post("/v1/trace", data='{"conversationId": "call-\\ud83d\\ude00"}', headers=AUTH)
    assert response.status_code == 200
    same = client.post("/v1/trace", data=json.dumps({"conversationId": "call-\U0001F600"}), headers=AUTH)
    assert response.get_json() == same.get_json()


def test_a_lone_surrogate_in_a_customer_key_is_not_a_crm_error(client):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("companion.crm")
    logger.addHandler(handler)
    try:
        response = client.post("/v1/context", data='{"conversationId": "c", "email": "\\ud800@x.org"}', headers=AUTH)
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 400
    assert records == []


@pytest.mark.parametrize("path", ["/v1//trace", "//v1/trace", "/v1/trace//"])
def test_doubled_slashes_are_a_json_404_not_a_redirect(client, path):
    response = client.post(path, data='{"conversationId": "c-1"}', headers={**AUTH, "Host": "evil.example"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "Location" not in response.headers
