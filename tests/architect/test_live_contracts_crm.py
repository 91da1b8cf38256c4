"""The CRM endpoints' answers fit the exported customer and context contracts (through the Flask test client)."""

from __future__ import annotations

import pytest

from tests.architect.test_live_contracts import CONTEXT
from tests.architect.test_live_contracts import CONVERSATION
from tests.architect.test_live_contracts import CUSTOMER
from tests.architect.test_live_contracts import assert_fits_contract
from tests.architect.test_live_contracts import call


@pytest.mark.parametrize(
    "inputs",
    [
        {"phone": "tel:+13175550116"},
        {"phone": "sip:+13175550116@10.0.0.1;user=phone"},
        {"customerId": "no-such-customer"},
        {"email": "nobody@example.com"},
        {"accountNumber": "000000"},
    ],
)
def test_customer_action_answer_fits_the_success_schema(client, auth, inputs):
    response = call(client, auth, CUSTOMER, inputs)
    assert response.status_code == 200, response.get_json()
    assert_fits_contract(CUSTOMER, response.get_json())


@pytest.mark.parametrize(
    "inputs",
    [
        {"conversationId": CONVERSATION},
        {"conversationId": CONVERSATION, "phone": "tel:+13175550116"},
        {"conversationId": CONVERSATION, "participantId": "p-1", "email": "nobody@example.com"},
    ],
)
def test_context_action_answer_fits_the_success_schema(client, auth, inputs):
    response = call(client, auth, CONTEXT, inputs)
    assert response.status_code == 200, response.get_json()
    assert_fits_contract(CONTEXT, response.get_json())
