"""Answers built without a marshmallow dump are the ones the response schemas would dump."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from schemas import ContextResponse
from schemas import TraceResponse
from service.api.trace import trace_answer
from service.tracing import derive_trace_context
from tests.conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@settings(max_examples=200, deadline=None)
@given(conversation_id=st.text(min_size=1, max_size=40), participant_id=st.text(max_size=10))
def test_the_trace_answer_is_the_schemas_dump(conversation_id, participant_id):
    context = derive_trace_context(b"a-secret-of-some-length", conversation_id, participant_id)
    answer = trace_answer(context)
    dumped = TraceResponse().dump(context)
    assert answer == dumped and list(answer) == list(dumped)


def test_the_context_answer_has_the_schemas_keys_in_order(client):
    response = client.post("/v1/context", json={"conversationId": "c-1", "phone": "+13175550116"}, headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == list(ContextResponse().dump_fields)
    assert ContextResponse().dump(body) == body
