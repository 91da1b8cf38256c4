"""Every real Genesys data action export runs through execute_action against a stub of its remote endpoint.

The files are the ones in tests/architect/genesys-examples/data-actions (copies of public Genesys exports, provenance
in ../architect/genesys-examples/SOURCES.md). Each remote response below is written by hand in the shape of the real
API the action calls; each expected output is read off the action's translation map and success template.
"""

import json
from pathlib import Path

import pytest

from architect.runtime.actions import execute_action, load_action

EXAMPLES = Path(__file__).resolve().parents[1] / "architect" / "genesys-examples" / "data-actions"


def example(name: str) -> dict:
    return load_action(EXAMPLES / name)


def test_every_example_file_loads():
    names = sorted(path.name for path in EXAMPLES.glob("*.json"))
    assert len(names) == 6
    for name in names:
        assert example(name)["actionType"] == "custom"


# Get-On-Queue-Agent-Counts (purecloud-data-actions, POST analytics observations, `..` paths with array defaults).
QUEUE_OBSERVATIONS = {
    "results": [{
        "group": {"queueId": "q-1"},
        "data": [
            {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": 3}},
            {"metric": "oOnQueueUsers", "qualifier": "INTERACTING", "stats": {"count": 5}},
            {"metric": "oOnQueueUsers", "qualifier": "NOT_RESPONDING", "stats": {"count": 1}},
        ],
    }]
}


def test_on_queue_agent_counts_collects_statuses_and_counts(stub):
    stub.answer("POST", "/api/v2/analytics/queues/observations/query", json_body=QUEUE_OBSERVATIONS)
    result = execute_action(example("Get-On-Queue-Agent-Counts.json"), {"queueId": "q-1"}, base_url=stub.url)
    assert result.status == "success", result.error
    assert result.outputs == {"counts": [3, 5, 1], "statuses": ["IDLE", "INTERACTING", "NOT_RESPONDING"]}
    sent = stub.last.json()
    assert sent["filter"]["predicates"][0] == {"type": "dimension", "dimension": "queueId", "operator": "matches",
                                               "value": "q-1"}
    assert sent["metrics"] == ["oOnQueueUsers"]
    assert stub.last.headers["UserAgent"] == "PureCloudIntegrations/1.0"


def test_on_queue_agent_counts_falls_back_to_its_defaults_when_nobody_is_on_queue(stub):
    # With no on-queue agents the observation result has no `data`: `data` is in the definite part of the path,
    # so Jayway reports the path as not found and the blueprint's defaults apply.
    stub.answer("POST", "/api/v2/analytics/queues/observations/query",
                json_body={"results": [{"group": {"queueId": "q-1"}}]})
    result = execute_action(example("Get-On-Queue-Agent-Counts.json"), {"queueId": "q-1"}, base_url=stub.url)
    assert result.status == "success", result.error
    assert result.outputs == {"counts": [0], "statuses": ["Error"]}


def test_on_queue_agent_counts_requires_a_queue_id(stub):
    result = execute_action(example("Get-On-Queue-Agent-Counts.json"), {}, base_url=stub.url)
    assert result.status == "failure" and "'queueId' is a required property" in result.error


# Limitless Peek Full Event (custom-rest-actions, GET, `$.size()` with a "0" default, x-api-key header).
def test_peek_full_event_counts_the_events(stub):
    path = "/crm/integration/messages/peek/conv-1"
    stub.answer("GET", path, json_body=[{"type": "csat", "score": 5}, {"type": "nps", "score": 9}])
    inputs = {"conversationId": "conv-1", "apikey": "k-42", "stage": "dev", "updateType": "full"}
    result = execute_action(example("Limitless-Peek-Full-Event.custom.json"), inputs, base_url=stub.url)
    assert result.status == "success", result.error
    assert result.outputs == {"length": 2}
    assert step_detail(result, "render request URL")["rendered"] == \
        "https://dev.api.belimitless-app.io/crm/integration/messages/peek/conv-1?updateType=full"
    assert stub.last.headers["x-api-key"] == "k-42"
    assert stub.last.query == {"updateType": ["full"]}
    assert stub.last.body == b""  # GET: the ${input.rawRequest} template is not sent


def test_peek_full_event_without_the_optional_update_type_sends_the_reference_text(stub):
    # Formal notation on an unset input prints the reference itself (HC:149841): Genesys would send this too.
    stub.answer("GET", "/crm/integration/messages/peek/conv-1", json_body=[])
    inputs = {"conversationId": "conv-1", "apikey": "k-42", "stage": "dev"}
    result = execute_action(example("Limitless-Peek-Full-Event.custom.json"), inputs, base_url=stub.url)
    assert result.status == "success", result.error
    assert result.outputs == {"length": 0}
    assert stub.last.query == {"updateType": ["${input.updateType}"]}


# Limitless Submit CSAT Testimonial (PUT, `$esc.jsonString` inside quotes).
def test_submit_testimonial_escapes_the_text_into_a_json_body(stub):
    stub.answer("PUT", "/crm/public/messages/m-7/testimonial", json_body={"messageId": "m-7", "stored": True})
    testimonial = 'Great "service"!\nWould call again — 10/10 \\o/'
    inputs = {"msgId": "m-7", "testimonial": testimonial, "accessKey": "ak", "apikey": "k-42", "stage": "prod"}
    result = execute_action(example("Limitless-Submit-CSAT-Testimonial.custom.json"), inputs, base_url=stub.url)
    assert result.status == "success", result.error
    assert result.outputs == {"messageId": "m-7", "stored": True}
    assert stub.last.method == "PUT"
    assert stub.last.json() == {"testimonial": testimonial}
    assert stub.last.query == {"access_key": ["ak"]}
    assert stub.last.headers["Content-Type"] == "application/json"


# Insert IVR Cache Entry (purecloud-data-actions, POST `${input.rawRequest}` to a data table).
def test_insert_cache_entry_posts_the_inputs_and_returns_the_row(stub):
    path = "/api/v2/flows/datatables/c602af71-de81-434d-b30c-d40ff8d73966/rows"
    row = {"key": "q-1", "Updated": "2024-05-01T12:00:00Z", "AgentsIdle": True}
    stub.answer("POST", path, json_body=row)
    result = execute_action(example("Insert-IVR-Cache-Entry.json"), row, base_url=stub.url)
    assert result.status == "success", result.error
    assert stub.last.json() == row
    assert result.outputs == row


def test_insert_cache_entry_rejects_a_non_boolean_flag(stub):
    inputs = {"key": "q-1", "AgentsIdle": "yes"}
    result = execute_action(example("Insert-IVR-Cache-Entry.json"), inputs, base_url=stub.url)
    assert result.status == "failure" and "AgentsIdle: 'yes' is not of type 'boolean'" in result.error


def test_insert_cache_entry_answered_with_a_conflict_takes_the_failure_path(stub):
    path = "/api/v2/flows/datatables/c602af71-de81-434d-b30c-d40ff8d73966/rows"
    stub.answer("POST", path, status=409, json_body={"code": "flows.datatables.row.exists", "status": 409})
    result = execute_action(example("Insert-IVR-Cache-Entry.json"), {"key": "q-1"}, base_url=stub.url)
    assert result.status == "failure" and "HTTP 409" in result.error and "row.exists" in result.error


# Execute workflow (purecloud-data-actions, POST with a raw JSON fragment input spliced into the body).
def test_execute_workflow_splices_the_attributes_fragment(stub):
    launched = {"id": "exec-1", "name": "Proactive callback", "flowVersion": {"id": "3.0"},
                "selfUri": "/api/v2/flows/executions/exec-1"}
    stub.answer("POST", "/api/v2/flows/executions", json_body=launched)
    inputs = {"flowId": "f-9", "attributes": '"Flow.ani":"+13175550116", "Flow.tier":"gold"'}
    result = execute_action(example("Execute-workflow.custom.json"), inputs, base_url=stub.url)
    assert result.status == "success", result.error
    assert stub.last.json() == {"flowId": "f-9", "inputData": {"Flow.ani": "+13175550116", "Flow.tier": "gold"}}
    assert result.outputs == {"id": "exec-1", "name": "Proactive callback", "flowVersion.id": "3.0",
                              "selfUri": "/api/v2/flows/executions/exec-1"}


# Update Participant Data on Conversation (PATCH callbacks .../attributes with a JSON-object-string input).
def test_update_participant_data_patches_the_attributes(stub):
    path = "/api/v2/conversations/callbacks/conv-1/participants/p-2/attributes"
    stub.answer("PATCH", path, json_body={"attributes": {"crm.tier": "gold", "crm.found": "true"}})
    inputs = {"conversationId": "conv-1", "participantId": "p-2",
              "attributes": json.dumps({"crm.tier": "gold", "crm.found": "true"})}
    result = execute_action(example("Update-Participant-Data-on-Conversation.custom.json"), inputs, base_url=stub.url)
    assert result.status == "success", result.error
    assert stub.last.method == "PATCH"
    assert stub.last.json() == {"attributes": {"crm.tier": "gold", "crm.found": "true"}}
    assert result.outputs == {"attributes.crm.tier": "gold", "attributes.crm.found": "true"}


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_example_takes_the_failure_path_when_its_endpoint_is_not_found(stub, name):
    action = example(name)
    result = execute_action(action, _minimal_inputs(action), base_url=stub.url)
    assert result.status == "failure"
    assert "HTTP 404" in result.error  # the stub answers 404 JSON for unknown paths


def _minimal_inputs(action: dict) -> dict:
    schema = action["contract"]["input"]["inputSchema"]
    samples = {"string": "x", "boolean": True, "integer": 1, "number": 1}
    return {name: samples[schema["properties"][name]["type"]] for name in schema.get("required", [])}


def step_detail(result, name: str) -> dict:
    return next(s.detail for s in result.steps if s.name == name)
