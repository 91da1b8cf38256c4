"""What the live service answers fits the exported contracts, and the exported body templates produce what it accepts."""

from __future__ import annotations

import json

import airspeed
import pytest
from jsonschema import Draft4Validator

from tests.architect.conftest import ARCHITECT

ACTIONS = {
    path.name: json.loads(path.read_text()) for path in sorted((ARCHITECT / "data-actions").glob("*.custom.json"))
}
TRACE = ACTIONS["Companion-Get-Trace-Context.custom.json"]
CUSTOMER = ACTIONS["Companion-Get-Customer.custom.json"]
CONTEXT = ACTIONS["Companion-Get-Call-Context.custom.json"]
CONVERSATION = "6f1c8d0e-2b9a-4c71-9a3e-0d5f7b2e4a11"


class _EscapeTool:
    """Velocity's EscapeTool as Genesys exposes it: jsonString escapes without adding quotes (§3.1)."""

    def jsonString(self, value):  # noqa: N802 - Velocity's method name
        return None if value is None else json.dumps(str(value), ensure_ascii=False)[1:-1]


def render_body(action: dict, inputs: dict) -> str:
    """Render the action's requestTemplate the way Genesys does for the given inputs (unset ones absent)."""
    template = airspeed.Template(action["config"]["request"]["requestTemplate"])
    return template.merge({"input": dict(inputs), "esc": _EscapeTool()})


def call(client, auth, action: dict, inputs: dict):
    """POST the rendered body to the action's endpoint through the Flask test client."""
    path = action["config"]["request"]["requestUrlTemplate"].removeprefix("https://companion.example.com")
    headers = dict(auth, **{"Content-Type": "application/json"})
    return client.post(path, data=render_body(action, inputs).encode("utf-8"), headers=headers)


def assert_fits_contract(action: dict, body: dict) -> None:
    schema = action["contract"]["output"]["successSchema"]
    Draft4Validator.check_schema(schema)
    errors = sorted(Draft4Validator(schema).iter_errors(body), key=str)
    assert errors == [], [e.message for e in errors]
    # Architect cannot bind a missing output (DESIGN.md §4): every contract property is in every answer.
    assert set(schema["properties"]) <= set(body)


@pytest.mark.parametrize(
    "inputs",
    [
        {"conversationId": CONVERSATION},
        {"conversationId": CONVERSATION, "participantId": "a1b2c3d4-0000-4000-8000-000000000001"},
        {"conversationId": 'quote " backslash \\ brace } dollar ${x} \u00e9\u4e2d'},
    ],
)
def test_trace_action_body_is_accepted_and_its_answer_fits_the_success_schema(client, auth, inputs):
    response = call(client, auth, TRACE, inputs)
    assert response.status_code == 200, response.get_json()
    assert_fits_contract(TRACE, response.get_json())


def test_rendered_bodies_are_json_with_empty_strings_for_unset_optional_inputs():
    body = json.loads(render_body(CONTEXT, {"conversationId": CONVERSATION, "phone": "tel:+13175550116"}))
    assert body == {
        "conversationId": CONVERSATION,
        "participantId": "",
        "phone": "tel:+13175550116",
        "customerId": "",
        "email": "",
        "accountNumber": "",
    }


def test_input_contracts_accept_what_the_flow_sends_and_the_service_accepts():
    inputs = {"conversationId": CONVERSATION, "phone": "tel:+13175550116"}
    assert list(Draft4Validator(CONTEXT["contract"]["input"]["inputSchema"]).iter_errors(inputs)) == []
    assert list(Draft4Validator(CUSTOMER["contract"]["input"]["inputSchema"]).iter_errors({"phone": "+1 317"})) == []
    missing = list(Draft4Validator(TRACE["contract"]["input"]["inputSchema"]).iter_errors({}))
    assert [e.message for e in missing] == ["'conversationId' is a required property"]
