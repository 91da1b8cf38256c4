"""The compiled request loaders against marshmallow itself: same bodies accepted and refused, same messages,
same loaded values (Hypothesis), and schemas we do not compile left to marshmallow."""

from __future__ import annotations

import marshmallow as ma
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from schemas import ContextRequest
from schemas import CustomerQuery
from schemas import TraceRequest
from schemas.base import RequestSchema
from service.compiled_loader import CompiledLoader

SCHEMAS = (TraceRequest, CustomerQuery, ContextRequest)
LOADERS = {schema_class: CompiledLoader(schema_class()) for schema_class in SCHEMAS}
# Whitespace str.strip() removes (the "at least one key" rule strips), ASCII and not, and what it keeps.
SPACES = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u3000\u200b\ufeff"
strings = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=SPACES, max_size=4),
    # The 256-character bound and either side of it; 1 for the conversation id's minimum.
    st.integers(min_value=250, max_value=260).map(lambda n: "x" * n),
    st.integers(min_value=254, max_value=258).map(lambda n: "\u00e9" * (n - 1) + "\U0001f600"),
    st.sampled_from(["", "c", "tel:+13175550116", " +1 317 555 0116 "]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), strings),
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=3), inner, max_size=2)),
    max_leaves=4,
)
KEYS = ("conversationId", "participantId", "phone", "customerId", "email", "accountNumber", "other", "")


def bodies():
    """JSON objects over the contracts' keys and others, mostly strings, sometimes anything JSON holds."""
    return st.dictionaries(st.sampled_from(KEYS), st.one_of(strings, strings, strings, json_values), max_size=6)


def marshmallow_outcome(schema: ma.Schema, body: dict):
    try:
        return "accepted", schema.load(body)
    except ma.ValidationError as exc:
        return "refused", exc.messages


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda cls: cls.__name__)
def test_every_request_schema_is_compiled(schema_class):
    loader = CompiledLoader(schema_class())
    assert loader.compiled, loader.reason


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda cls: cls.__name__)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies())
def test_compiled_and_marshmallow_agree(schema_class, body):
    schema = schema_class()
    loader = LOADERS[schema_class]
    expected = marshmallow_outcome(schema, body)
    # The compiled verdict alone, without falling back to marshmallow.
    assert loader.accepts(body) == (expected[0] == "accepted"), (body, expected)
    assert marshmallow_outcome(loader, body) == expected
    if expected[0] == "accepted":
        assert list(loader.load(body)) == list(expected[1])  # same keys, in the schema's order


@pytest.mark.parametrize("body, messages", [
    ({}, {"conversationId": ["Missing data for required field."]}),
    ({"conversationId": ""}, {"conversationId": ["Length must be between 1 and 256."]}),
    ({"conversationId": 7, "participantId": None},
     {"conversationId": ["Not a valid string."], "participantId": ["Field may not be null."]}),
    ({"conversationId": "c", "phone": "x" * 257}, {"phone": ["Longer than maximum length 256."]}),
])
def test_a_refused_body_gets_marshmallows_messages(body, messages):
    with pytest.raises(ma.ValidationError) as refused:
        CompiledLoader(ContextRequest()).load(body)
    assert refused.value.messages == messages


def test_a_blank_lookup_key_is_refused_by_the_schemas_own_rule():
    loader = CompiledLoader(CustomerQuery())
    assert not loader.accepts({"phone": " \u00a0\t"})
    with pytest.raises(ma.ValidationError) as refused:
        loader.load({"phone": " \u00a0\t"})
    assert refused.value.messages == {"_schema": ["at least one of phone, customerId, email, accountNumber is required"]}


class _WithInteger(RequestSchema):
    count = ma.fields.Integer()


class _Renamed(RequestSchema):
    name = ma.fields.String(data_key="Name")


class _PostLoad(RequestSchema):
    name = ma.fields.String()

    @ma.post_load
    def _upper(self, data, **kwargs):
        return {key: value.upper() for key, value in data.items()}


class _OneOf(RequestSchema):
    name = ma.fields.String(validate=ma.validate.OneOf(["a"]))


@pytest.mark.parametrize("schema_class, reason, body, loaded", [
    (_WithInteger, "field count is a Integer, not a plain String", {"count": "3"}, {"count": 3}),
    (_Renamed, "field name is renamed (data_key or attribute)", {"Name": "n"}, {"name": "n"}),
    (_PostLoad, "method _upper is a post_load hook", {"name": "n"}, {"name": "N"}),
    (_OneOf, "field name has a validator other than Length(min, max)", {"name": "a"}, {"name": "a"}),
])
def test_a_schema_it_cannot_compile_is_loaded_by_marshmallow(schema_class, reason, body, loaded):
    loader = CompiledLoader(schema_class())
    assert not loader.compiled and loader.reason == reason
    assert loader.load(body) == loaded
