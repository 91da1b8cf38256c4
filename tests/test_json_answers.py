"""The service's answers are the JSON Flask's own provider writes (service/json_answers.py)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given
from hypothesis import strategies as st

from service.json_answers import AnswerJSONProvider

_app = Flask(__name__)
FAST = AnswerJSONProvider(_app)
FLASK = DefaultJSONProvider(_app)
FLASK.sort_keys = False


def _bodies(value) -> tuple[bytes, bytes]:
    with _app.app_context():
        return FAST.response(value).get_data(), FLASK.response(value).get_data()


@dataclasses.dataclass
class _Point:
    x: int
    y: str


# Flat answers like the service's: ASCII keys and text, 64-bit integers, booleans, null.
_ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _ascii_text)


@given(st.dictionaries(_ascii_text, _scalars, max_size=25))
def test_ascii_answers_are_byte_for_byte_flasks(answer):
    fast, flask = _bodies(answer)
    assert fast == flask


@pytest.mark.parametrize("value", [
    {"at": datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.timezone.utc)},
    {"on": datetime.date(2026, 12, 1)},
    {"amount": decimal.Decimal("12.50")},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"point": _Point(1, "a")},
    {"big": 2**70},
    {1: "a non-string key"},
    [1, "two", None],
])
def test_values_orjson_leaves_to_flask_come_out_as_flask_writes_them(value):
    fast, flask = _bodies(value)
    assert fast == flask


def test_text_outside_ascii_is_utf8_and_decodes_to_the_same_string():
    answer = {"displayName": "Zoë Ångström 山田", "emoji": "📞"}
    fast, flask = _bodies(answer)
    assert b"\\u" in flask and b"\\u" not in fast
    assert fast.decode("utf-8") == json.dumps(answer, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert json.loads(fast) == json.loads(flask) == answer


def test_what_neither_can_encode_fails_as_flask_fails():
    with _app.app_context(), pytest.raises(TypeError):
        FAST.response({"when": datetime.time(9, 30)})
