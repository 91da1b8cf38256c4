"""The access line: rejected phone values masked whatever their shape, client strings capped in length."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.logs import ACCESS_LOGGER
from service.logs import mask_phone
from tests.conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}


@pytest.fixture
def access_lines():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.mark.parametrize("phone", ["+1,317,555,0116", "+1_317_555_0116", "+1317x555x0116", "1317555O116x9"])
@pytest.mark.parametrize("path", ["/v1/customer", "/v1/context"])
def test_a_rejected_phone_is_masked_whatever_its_shape(client, access_lines, phone, path):
    body = {"phone": phone, "conversationId": "c-1"} if path == "/v1/context" else {"phone": phone}
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code in (200, 400)
    line = access_lines[-1].__dict__
    logged = " ".join(str(v) for k, v in line.items() if k.startswith("crm."))
    # At most the last four digits of the number, as for every phone in the logs.
    assert "crm.phone" in line and line["crm.phone"].count("*") >= 6
    assert not re.search(r"\d{5}|317|5550", logged), logged


def test_a_huge_correlation_id_is_capped_even_on_a_401(client, access_lines):
    response = client.post("/v1/trace", data="{}", headers={"ININ-Correlation-Id": "x" * 8000})
    assert response.status_code == 401
    logged = access_lines[-1].__dict__["ininCorrelationId"]
    assert logged == "x" * 128 + "...(8000 chars)"


def test_a_normal_correlation_id_is_logged_whole(client, access_lines):
    correlation = "0f9d4a0e-5c8b-4f3e-9a77-2b1c0d6e8f10"
    client.post("/v1/trace", json={"conversationId": "c"}, headers={**AUTH, "ININ-Correlation-Id": correlation})
    assert access_lines[-1].__dict__["ininCorrelationId"] == correlation


def test_a_huge_path_is_capped(client, access_lines):
    client.get("/" + "a" * 3000)
    assert len(access_lines[-1].__dict__["path"]) < 300


@given(st.text(alphabet="0123456789", max_size=20))
def test_an_e164_number_keeps_its_plus_length_and_last_four_digits_only(digits):
    masked = mask_phone("+" + digits)
    keep = 4 if len(digits) > 6 else 0
    assert masked == "+" + "*" * (len(digits) - keep) + (digits[len(digits) - keep:] if keep else "")
