"""Every real flow in tests/architect/genesys-examples/flows/ loads, and runs or stops with a precise error.

The flows are public Genesys files copied unchanged (provenance: ../architect/genesys-examples/SOURCES.md). Their data
actions are served by a local HTTP stub answering in the shape of the real Genesys API each action calls.
"""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from architect.runtime.flow import SimulationError, load_flow, parse_flow, run_flow
from tests.runtime.stub_server import StubServer

EXAMPLES = Path(__file__).resolve().parents[1] / "architect" / "genesys-examples"
FLOWS = EXAMPLES / "flows"
REAL_ACTIONS = EXAMPLES / "data-actions"
OWN_ACTIONS = Path(__file__).resolve().parent / "actions"
ANI = "tel:+13175550116"
QUEUE_ID = "8a4c1f5e-2b3d-4e6f-9a0b-1c2d3e4f5a6b"
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
TABLE = "/api/v2/flows/datatables/c602af71-de81-434d-b30c-d40ff8d73966/rows"
OBSERVATIONS = "/api/v2/analytics/queues/observations/query"


def test_every_real_flow_loads():
    loaded = {path.name: load_flow(path) for path in sorted(FLOWS.glob("*.yaml"))}
    assert {name: (flow.kind, flow.name) for name, flow in loaded.items()} == {
        "CacheExampleFlow.yaml": ("inboundCall", "Cache Example"),
        "EventOrchestrator_Secure_Flow.yaml": ("secureCall", "EventOrchestrator Secure Flow"),
        "Trigger-proactive-callback-workflow.yaml": ("inboundCall", "Trigger proactive callback workflow"),
        "inboundcall_flow_example.yaml": ("inboundCall", "Terraform Test Flow log level "
                                                         "d9ae1d02-aba7-48c3-8275-a6c8b82c15c7"),
        "inqueuecall_default_example.yaml": ("inqueueCall", "In-Queue Flow"),
    }


# --- CacheExampleFlow.yaml: data table cache in front of the queue observation query --------------------------


@pytest.fixture
def cache_actions(tmp_path):
    """The blueprint's two action files plus our Update IVR Cache Entry (tests/flows/actions/README.md)."""
    folder = tmp_path / "actions"
    folder.mkdir()
    for name in ("Get-On-Queue-Agent-Counts.json", "Insert-IVR-Cache-Entry.json"):
        shutil.copy(REAL_ACTIONS / name, folder)
    shutil.copy(OWN_ACTIONS / "Update-IVR-Cache-Entry.json", folder)
    return folder


def observations(**counts) -> dict:
    """A queue observation query answer: on-queue agents per routing status."""
    return {"results": [{"group": {"queueId": QUEUE_ID}, "data": [
        {"metric": "oOnQueueUsers", "qualifier": status, "stats": {"count": count}}
        for status, count in counts.items()]}]}


def run_cache_flow(stub, actions, rows):
    return run_flow(load_flow(FLOWS / "CacheExampleFlow.yaml"), ani=ANI, conversation_id="conv-cache",
                    actions_dir=actions, service_url=stub.url, queue_ids={"Services": QUEUE_ID},
                    data_tables={"IVR Cache": rows}, now=NOW)


def test_cache_miss_queries_inserts_and_transfers(cache_actions):
    with StubServer() as stub:
        stub.answer("POST", OBSERVATIONS, json_body=observations(IDLE=3, INTERACTING=5))
        stub.answer("POST", TABLE, json_body={"key": QUEUE_ID, "AgentsIdle": True, "Updated": "x"})
        result = run_cache_flow(stub, cache_actions, {})
        assert [(r.method, r.path) for r in stub.received] == [("POST", OBSERVATIONS), ("POST", TABLE)]
        assert stub.received[0].json()["filter"]["predicates"][0]["value"] == QUEUE_ID
        # The new row: AgentsIdle typed boolean by the input contract, Updated = ToString(GetCurrentDateTimeUtc()).
        assert stub.received[1].json() == {"AgentsIdle": True, "key": QUEUE_ID, "Updated": "2025-03-01T12:00:00.000Z"}
    assert [s.kind for s in result.steps] == [
        "initialGreeting", "task", "dataTableLookup", "updateData", "decision", "callData", "updateData", "decision",
        "updateData", "decision", "callData", "decision", "transferToAcd"]
    assert result.variables["Task.NumIdle"] == "3"
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_queue", "Services")
    assert [a["text"] for a in result.audio] == ["silence 1 ms",
                                                 "TTS 'Please wait for the next available representative.'"]


def test_stale_cache_entry_is_updated_and_no_idle_agent_means_apology(cache_actions):
    stale = {QUEUE_ID: {"key": QUEUE_ID, "AgentsIdle": True, "Updated": "2025-03-01T11:50:00.000Z"}}
    with StubServer() as stub:
        stub.answer("POST", OBSERVATIONS, json_body=observations(INTERACTING=4, NOT_RESPONDING=1))
        stub.answer("PUT", f"{TABLE}/{QUEUE_ID}", json_body={"key": QUEUE_ID})
        result = run_cache_flow(stub, cache_actions, stale)
        assert [(r.method, r.path) for r in stub.received] == [("POST", OBSERVATIONS),
                                                                ("PUT", f"{TABLE}/{QUEUE_ID}")]
        assert stub.received[1].json() == {"AgentsIdle": False, "key": QUEUE_ID, "Updated": "2025-03-01T12:00:00.000Z"}
    assert result.variables["Task.LookupResult"] == "update"
    assert result.variables["Task.NumIdle"] == "0"
    assert result.disposition.kind == "disconnected"
    assert result.audio[-1]["text"] == ("TTS 'Sorry, there are no representatives available to handle your call. "
                                        "Please call back at a later time.'")


def test_fresh_cache_entry_is_used_without_data_actions(cache_actions):
    fresh = {QUEUE_ID: {"key": QUEUE_ID, "AgentsIdle": True, "Updated": "2025-03-01T11:58:00.000Z"}}
    with StubServer() as stub:
        result = run_cache_flow(stub, cache_actions, fresh)
        assert stub.received == []
    assert result.variables["Task.LookupResult"] == "existing"
    assert result.disposition.queue == "Services"


def test_cache_flow_without_its_data_table_stops_naming_it():
    with pytest.raises(SimulationError) as error:
        run_flow(load_flow(FLOWS / "CacheExampleFlow.yaml"), ani=ANI, conversation_id="c", actions_dir=REAL_ACTIONS)
    assert str(error.value) == ("/inboundCall/tasks/task[startingTask]/actions[0]/dataTableLookup/dataTable/IVR Cache: "
                                "data table 'IVR Cache' was not given (companion simulate --data-table "
                                "\"IVR Cache=rows.json\")")


# --- the other real flows ------------------------------------------------------------------------------------


def payment_flow_and_action(tmp_path, stub):
    """The secure payment flow as Terraform's templatefile() renders it (dataAction = "Payments"), and a web
    data action standing in for the blueprint's Lambda one, with the contract the flow binds."""
    text = (FLOWS / "EventOrchestrator_Secure_Flow.yaml").read_text(encoding="utf-8").replace("${dataAction}", "Payments")
    folder = tmp_path / "payment-actions"
    folder.mkdir()
    action = {
        "name": "Payments-data-action", "integrationType": "custom-rest-actions", "actionType": "custom",
        "config": {
            "request": {"requestUrlTemplate": f"{stub.url}/payments", "requestType": "POST", "headers": {},
                        "requestTemplate": "${input.rawRequest}"},
            "response": {"translationMap": {}, "translationMapDefaults": {}, "successTemplate": "${rawResult}"},
        },
        "contract": {
            "input": {"inputSchema": {"type": "object", "required": ["cardNumber"],
                                      "properties": {"cardNumber": {"type": "string"}}}},
            "output": {"successSchema": {"type": "object", "properties": {"paymentId": {"type": "string"}}}},
        },
        "secure": True,
    }
    (folder / "Payments-data-action.json").write_text(json.dumps(action), encoding="utf-8")
    return parse_flow(text, source="EventOrchestrator_Secure_Flow.yaml"), folder


def test_event_orchestrator_secure_flow_takes_the_card_number_and_pays(tmp_path):
    with StubServer() as stub:
        stub.answer("POST", "/payments", json_body={"paymentId": "pay-0042"})
        flow, actions = payment_flow_and_action(tmp_path, stub)
        # Up to 9 digits ended by *; the flow's prompt asks for 9, so 9 digits end the input by themselves.
        result = run_flow(flow, ani=ANI, conversation_id="c", actions_dir=actions, dtmf=["411111111"])
        assert [r.json() for r in stub.received] == [{"cardNumber": "411111111"}]
    assert result.participantData == {"paymentId": "pay-0042"}
    assert [a["text"] for a in result.audio] == ["TTS 'Welcome to payment call'",
                                                 "TTS 'Please Enter your 9 digit card number to make a purchase'",
                                                 "TTS 'Thank you for your purchase'"]
    assert result.disposition.kind == "disconnected"


def test_event_orchestrator_secure_flow_without_a_card_number_writes_null(tmp_path):
    with StubServer() as stub:
        flow, actions = payment_flow_and_action(tmp_path, stub)
        # The flow terminates with *; # is the other key, which takes the failure path.
        result = run_flow(flow, ani=ANI, conversation_id="c", actions_dir=actions, dtmf=["4111#"])
        assert stub.received == []
    assert result.participantData == {"paymentId": "null"}
    assert result.disposition.kind == "disconnected"


def test_event_orchestrator_secure_flow_as_published_names_its_missing_action():
    with pytest.raises(SimulationError) as error:
        run_flow(load_flow(FLOWS / "EventOrchestrator_Secure_Flow.yaml"), ani=ANI, conversation_id="c",
                 actions_dir=REAL_ACTIONS, dtmf=["123*"])
    assert "data action '${dataAction}-data-action' (integration '${dataAction}-Lambda') not found" in str(error.value)
    assert [a["text"] for a in error.value.result.audio] == [
        "TTS 'Welcome to payment call'", "TTS 'Please Enter your 9 digit card number to make a purchase'"]


def test_terraform_menu_example_disconnects_on_9_and_runs_out_of_input_otherwise():
    flow = load_flow(FLOWS / "inboundcall_flow_example.yaml")
    pressed = run_flow(flow, ani=ANI, conversation_id="c", dtmf=["4", "9"])
    assert pressed.disposition.description == "disconnected by menu choice 'Disconnect'"
    assert [s.detail.get("input") for s in pressed.steps if s.kind == "menu"] == ["4", "9"]
    silent = run_flow(flow, ani=ANI, conversation_id="c")
    assert silent.disposition.kind == "out_of_input"


def test_terraform_in_queue_example_plays_hold_music_and_keeps_waiting():
    result = run_flow(load_flow(FLOWS / "inqueuecall_default_example.yaml"), ani=ANI, conversation_id="c",
                      current_queue={"name": "Support", "id": QUEUE_ID})
    assert [a["text"] for a in result.audio] == ["prompt PromptSystem.on_hold_music"]
    assert (result.disposition.kind, result.disposition.queue) == ("waiting_in_queue", "Support")


def test_proactive_callback_flow_names_the_action_missing_from_the_folder():
    # The blueprint's export is named "Brian - execute workflow", the flow calls "Execute workflow".
    with pytest.raises(SimulationError) as error:
        run_flow(load_flow(FLOWS / "Trigger-proactive-callback-workflow.yaml"), ani=ANI, conversation_id="c",
                 actions_dir=REAL_ACTIONS)
    assert str(error.value).startswith(
        "/inboundCall/tasks/task[Put callback in proactive callback work bin_12]/actions[1]/callData/category/"
        "<integrationName>/dataAction/Execute workflow: data action 'Execute workflow' (integration "
        "'<integrationName>') not found in ")
    assert "Brian - execute workflow - Exported 2021-04-15 @ 18:58" in str(error.value)


def test_proactive_callback_flow_runs_with_the_action_under_the_flows_name(tmp_path):
    action = json.loads((REAL_ACTIONS / "Execute-workflow.custom.json").read_text(encoding="utf-8"))
    action["name"] = "Execute workflow"
    (tmp_path / "Execute-workflow.custom.json").write_text(json.dumps(action), encoding="utf-8")
    with StubServer() as stub:
        stub.answer("POST", "/api/v2/flows/executions", json_body={"id": "exec-1", "name": "Proactive callback"})
        result = run_flow(load_flow(FLOWS / "Trigger-proactive-callback-workflow.yaml"), ani=ANI,
                          conversation_id="c", actions_dir=tmp_path, service_url=stub.url,
                          participant_data={"delay": "10"}, remote_name="Ann Caller")
        # The flow builds the inputData members by string concatenation; the template wraps them in braces.
        assert stub.last.json() == {"flowId": "<workflowId>", "inputData": {
            "Flow.delay": "10", "Flow.phone": "+13175550116", "Flow.name": "Ann Caller"}}
    assert [a["text"] for a in result.audio] == [
        "silence 100 ms", "TTS 'We will call you just before an agent is available to serve you'"]
    assert result.disposition.kind == "disconnected"
