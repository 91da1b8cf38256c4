"""Production flows from Genesys's blueprints and Terraform examples, simulated end to end.

The flows are copied unchanged (provenance: tests/architect/genesys-examples/SOURCES.md, blueprint-flows/). Their
data actions are Web Services stand-ins answered by a local HTTP server; templated flows get the substitutions
their Terraform modules pass.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from architect.runtime.flow import parse_flow, run_flow
from service.cli import cli
from tests.flows.conftest import write_action
from tests.runtime.stub_server import StubServer

FLOWS = Path(__file__).resolve().parents[1] / "architect" / "genesys-examples" / "blueprint-flows"
ANI = "tel:+13175550116"
DR_TEXT = {"ivr_initial_greeting": "Welcome to Example Life.", "ivr_failure": "Sorry, please call back later.",
           "ivr_callback": "Leave your number and we will call you back."}


def load(name: str, substitutions: dict | None = None):
    return parse_flow((FLOWS / name).read_text(encoding="utf-8"), substitutions, source=name)


def run(name: str, substitutions: dict | None = None, **options):
    return run_flow(load(name, substitutions), ani=ANI, conversation_id="conv-1", **options)


def audio(result) -> list[str]:
    return [item["text"] for item in result.audio]


# --- DR-Emergency-IVR.yaml: ToScheduleGroup(NOT_SET), an emergency group with name: beside lit:, voicemail ---------


def test_an_active_emergency_sends_the_caller_to_the_queue_voicemail():
    result = run("DR-Emergency-IVR.yaml", DR_TEXT, emergencies=["Site Emergency Group"])
    [evaluated] = [s for s in result.steps if s.kind == "evaluateScheduleGroup"]
    assert evaluated.detail["outcome"] == "emergency"
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_voicemail", "General Help")
    [voicemail] = [s for s in result.steps if s.kind == "transferToVoicemail"]
    assert voicemail.detail["callbackNumber"] == ANI
    assert audio(result) == ["TTS 'Welcome to Example Life.'",
                             "TTS 'Leave your number and we will call you back.'"]


def test_without_an_emergency_the_caller_reaches_the_menu_and_its_queue():
    result = run("DR-Emergency-IVR.yaml", DR_TEXT, dtmf=["5"])
    [evaluated] = [s for s in result.steps if s.kind == "evaluateScheduleGroup"]
    assert evaluated.detail["reason"] == "emergency group 'Site Emergency Group' is not active and there is no " \
                                         "schedule group"
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_queue", "Health Insurance")


def test_menu_choice_7_disconnects():
    assert run("DR-Emergency-IVR.yaml", DR_TEXT, dtmf=["7"]).disposition.kind == "disconnected"


# --- DR-Fallback-Ivr.yaml: transferToVoicemail with a prompt greeting and a failure path ------------------------


def test_fallback_ivr_takes_every_caller_to_voicemail():
    result = run("DR-Fallback-Ivr.yaml", DR_TEXT)
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_voicemail", "General Help")
    assert audio(result)[-1] == "prompt PromptSystem.voicemail_greeting"


def test_a_failed_voicemail_transfer_plays_the_apology_and_disconnects():
    result = run("DR-Fallback-Ivr.yaml", DR_TEXT, unavailable_queues=["General Help"])
    assert result.disposition.kind == "disconnected"
    assert audio(result)[-1] == "TTS 'Sorry, please call back later.'"


# --- SimpleFinancialIvr_v2-0.yaml: digit_9 in a menu -------------------------------------------------------------


@pytest.mark.parametrize(("digit", "kind", "queue"), [("9", "disconnected", None),
                                                       ("2", "transferred_to_queue", "Simple Financial IRA queue")])
def test_simple_financial_menu(digit, kind, queue):
    result = run("SimpleFinancialIvr_v2-0.yaml", dtmf=[digit])
    assert (result.disposition.kind, result.disposition.queue) == (kind, queue)


# --- set-emergency-group-main_flow.yaml: {{prefix}}-Lambda: keys, terminatingDtmf: digit_9 ------------------------


SET_EMERGENCY = {"prefix": "acme", "clientId": "client-1", "clientSecret": "s3cret", "groupID": "g-1"}


@pytest.mark.parametrize(("keyed", "enabled"), [("19", True), ("2", False)])
def test_the_caller_keys_the_choice_ended_by_9_and_the_group_is_switched(tmp_path, keyed, enabled):
    # The blueprint's action is an AWS Lambda one; a Web Services action with its contract stands in for it.
    write_action(tmp_path / "acme-Lambda", "acme-data-action", path="/emergency",
                 input_properties={"ClientID": {"type": "string"}, "ClientSecret": {"type": "string"},
                                   "EnableEmergencyGroup": {"type": "boolean"}, "GroupID": {"type": "string"}},
                 output_properties={"Success": {"type": "boolean"}})
    with StubServer() as stub:
        stub.answer("POST", "/emergency", json_body={"Success": True})
        result = run("set-emergency-group-main_flow.yaml", SET_EMERGENCY, dtmf=["1", keyed], actions_dir=tmp_path,
                     service_url=stub.url)
        [request] = stub.received
        assert request.json() == {"ClientID": "client-1", "ClientSecret": "s3cret", "EnableEmergencyGroup": enabled,
                                  "GroupID": "g-1"}
    [collected] = [s for s in result.steps if s.kind == "collectInput"]
    assert collected.detail["outcome"] == "success"
    assert audio(result)[-2:] == ["TTS 'Success!'", "TTS 'You are now being disconnected. Goodbye!'"]
    assert result.disposition.kind == "disconnected"


# --- Switch-to-Web-Messaging-via-SMS.yaml: an in-queue flow with playEstimatedWaitTime -----------------------------


SWITCH = {"flow_name": "Switch to Web Messaging", "division": "Home", "default_language": "en-us",
          "sms_number": "+13175550100", "data_action_category": "Genesys Cloud Data Actions",
          "send_agentless_message_data_action": "Send Agentless SMS"}


def test_in_queue_flow_tells_the_wait_sends_the_sms_and_ends_the_call(tmp_path):
    write_action(tmp_path, "Send Agentless SMS", path="/sms",
                 input_properties={name: {"type": "string"} for name in
                                   ("fromAddress", "toAddress", "toAddressMessengerType", "textBody")},
                 output_properties={"conversationId": {"type": "string"}})
    with StubServer() as stub:
        stub.answer("POST", "/sms", json_body={"conversationId": "msg-1"})
        result = run("Switch-to-Web-Messaging-via-SMS.yaml", SWITCH, dtmf=["1", "1"], actions_dir=tmp_path,
                     service_url=stub.url, current_queue={"name": "Support", "id": "q-1"},
                     estimated_wait_time=dt.timedelta(minutes=4, seconds=10))
        [request] = stub.received
        assert request.json()["textBody"] == ("https://agnescorpuz.github.io/switch-voice-to-web-messaging/?cId="
                                              "conv-1")
        assert request.json()["fromAddress"] == "+13175550100"
    assert result.participantData == {"targetQueueId": "q-1", "phoneNumber": "+13175550116"}
    # roundingInterval 5 minutes, with 30 s, 1, 2 and 5 minutes as specific intervals: 4m10s is "about 5 minutes".
    assert audio(result)[0] == "TTS 'Your estimated wait time is about 5 minutes'"
    assert audio(result)[-1] == "TTS 'Great. See you on chat!'"
    assert result.disposition.kind == "disconnected"


@pytest.mark.parametrize(("wait", "spoken"), [(dt.timedelta(seconds=20), "about 1 minute"),
                                               (dt.timedelta(seconds=80), "about 2 minutes"),
                                               (dt.timedelta(minutes=11), "about 15 minutes")])
def test_the_wait_is_rounded_up_to_the_specific_then_the_regular_interval(wait, spoken):
    result = run("Switch-to-Web-Messaging-via-SMS.yaml", SWITCH, dtmf=["2"], estimated_wait_time=wait,
                 current_queue={"name": "Support", "id": "q-1"})
    assert audio(result)[0] == f"TTS 'Your estimated wait time is {spoken}'"
    assert result.disposition.kind == "waiting_in_queue"


def test_a_wait_that_is_not_set_plays_nothing():
    result = run("Switch-to-Web-Messaging-via-SMS.yaml", SWITCH, dtmf=["2"],
                 current_queue={"name": "Support", "id": "q-1"})
    [step] = [s for s in result.steps if s.kind == "playEstimatedWaitTime"]
    assert step.detail == {"audio": None, "note": "the estimated wait time is NOT_SET: no audio plays"}
    assert not any(item["kind"] == "playEstimatedWaitTime" for item in result.audio)


# --- Proactive-callback-offer.yaml: Call.EstimatedWaitTime and Call.PositionInQueue in expressions -----------------


def test_proactive_callback_reads_the_wait_and_the_position(tmp_path):
    write_action(tmp_path, "Get callbacks waiting", path="/callbacks", input_properties={"queueId": {"type": "string"}},
                 output_properties={"count": {"type": "integer"}})
    result = run("Proactive-callback-offer.yaml", dtmf=["1"], actions_dir=tmp_path,
                 estimated_wait_time=dt.timedelta(minutes=3, seconds=20), position_in_queue=2)
    assert result.variables["Task.EWT"] == "PT3M20S"
    # The flow cuts "3M" out of the duration's text and ToInt("3M") is no integer; Genesys does not document the
    # text of a Duration, so the simulation reports it and takes the flow's error handling (a queue).
    assert result.errors[0]["message"].startswith("ToInt: '3M' is not an integer")
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_queue", "<targetQueueName>")


# --- EmailComprehendFlow.yaml: an inboundEmail flow (states, findQueue, sendAutoReply) ----------------------------


@pytest.mark.parametrize(("classified", "queue"), [("Billing", "Billing"), ("Nowhere", "GeneralSupport")])
def test_the_email_is_classified_then_routed_to_the_queue_found(tmp_path, classified, queue):
    write_action(tmp_path, "LookupQueueName", path="/classify",
                 input_properties={"EmailBody": {"type": "string"}, "EmailSubject": {"type": "string"}},
                 output_properties={"QueueName": {"type": "string"}})
    with StubServer() as stub:
        stub.answer("POST", "/classify", json_body={"QueueName": classified})
        result = run("EmailComprehendFlow.yaml", actions_dir=tmp_path, service_url=stub.url,
                     queue_ids={"Billing": "q-billing"},
                     builtins={"Email.Message.body": "I was charged twice", "Email.Message.subject": "Refund"})
        assert stub.received[0].json() == {"EmailBody": "I was charged twice", "EmailSubject": "Refund"}
    [found] = [s for s in result.steps if s.kind == "findQueue"]
    assert found.detail["outcome"] == ("found" if classified == "Billing" else "notFound")
    replies = [s.detail["body"] for s in result.steps if s.kind == "sendAutoReply"]
    assert replies[0] == f"QUEUE NAME: {classified}"
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_queue", queue)


def test_inbound_message_example_runs_its_state_and_disconnects():
    result = run("inboundmessage_flow_example.yaml", {"flow_name": "Messages", "home_division_name": "Home"})
    assert [s.kind for s in result.steps] == ["state", "disconnect"]
    assert result.disposition.kind == "disconnected"


# --- the command line -------------------------------------------------------------------------------------------


def test_simulate_takes_the_in_queue_values_and_built_ins_from_options(tmp_path):
    options = tmp_path / "options.yaml"
    options.write_text("substitutions:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in SWITCH.items()),
                       encoding="utf-8")
    result = CliRunner().invoke(cli, ["simulate", str(FLOWS / "Switch-to-Web-Messaging-via-SMS.yaml"), "--options",
                                      str(options), "--ani", ANI, "--dtmf", "2", "--current-queue", "Support",
                                      "--queue", "Support=q-1", "--estimated-wait-time", "PT1M10S",
                                      "--position-in-queue", "3", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["audio"][0]["text"] == "TTS 'Your estimated wait time is about 2 minutes'"
    assert document["participantData"]["targetQueueId"] == "q-1"


def test_a_bad_estimated_wait_time_is_a_usage_error():
    result = CliRunner().invoke(cli, ["simulate", str(FLOWS / "SimpleFinancialIvr_v2-0.yaml"), "--ani", ANI,
                                      "--estimated-wait-time", "soon"])
    assert result.exit_code == 2
    assert "expected ISO 8601 (PT4M30S) or seconds (270), got 'soon'" in result.output


def test_the_coverage_table_in_docs_lists_every_real_flow():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "flows.md").read_text(encoding="utf-8")
    table = docs.split("## Real flows: what simulates end to end", 1)[1]
    rows = [line.split("|")[1:4] for line in table.splitlines() if line.startswith("| flows/")
            or line.startswith("| blueprint-flows/")]
    examples = FLOWS.parent
    files = sorted(str(p.relative_to(examples)) for p in examples.glob("*/*.yaml"))
    assert sorted(name.strip() for name, _kind, _done in rows) == files
    done = sum(1 for _name, _kind, end in rows if end.strip() == "yes")
    assert f"{done} of {len(files)} real flows simulate end to end" in table


# --- orbit-parked-call-retrieval.yaml: {{data_action_name_1}}: keys, lit: {{queue_id}}, collections by index -------


ORBIT = {"flow_name": "Orbit Retrieval", "division_name": "Home", "data_action_category": "Genesys Cloud Data Actions",
         "data_action_name_1": "Find Parked Call", "data_action_name_2": "Connect Parked Call",
         "queue_id": "5f0f2c1e-8e1d-4c55-9a36-5d2b8f3c7a10"}


def test_the_orbit_number_finds_the_parked_call_and_connects_it(tmp_path):
    write_action(tmp_path, "Find Parked Call", path="/find",
                 input_properties={name: {"type": "string"} for name in
                                   ("startDate", "endDate", "externalTag", "holdingQueueId")},
                 output_properties={"conversationID": {"type": "array", "items": {"type": "string"}},
                                    "participantID": {"type": "array", "items": {"type": "string"}}})
    write_action(tmp_path, "Connect Parked Call", path="/connect",
                 input_properties={name: {"type": "string"} for name in ("conversationId", "participantId", "address")})
    with StubServer() as stub:
        stub.answer("POST", "/find", json_body={"conversationID": ["conv-parked", "conv-other"],
                                                "participantID": ["part-parked", "part-other"]})
        stub.answer("POST", "/connect", json_body={})
        result = run("orbit-parked-call-retrieval.yaml", ORBIT, dtmf=["12"], actions_dir=tmp_path,
                     service_url=stub.url, now=dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc))
        find, connect = (request.json() for request in stub.received)
    assert find == {"startDate": "2025-03-01T09:00:00.000Z", "endDate": "2025-03-01T12:00:00.000Z",
                    "externalTag": "12", "holdingQueueId": "5f0f2c1e-8e1d-4c55-9a36-5d2b8f3c7a10"}
    assert connect == {"conversationId": "conv-parked", "participantId": "part-parked", "address": "+13175550116"}
    assert audio(result)[-1] == "TTS 'Connecting you now.'"
    assert result.disposition.kind == "disconnected"


def test_the_orbit_hold_in_queue_flow_plays_its_prompts_and_keeps_waiting():
    result = run("in-queue-orbit-call-park-hold.yaml", {"flow_name": "Orbit Hold"},
                 current_queue={"name": "Orbit 12", "id": "q-12"})
    assert audio(result) == ["prompt Prompt.PleaseHoldAsYourCallsRetrieved", "prompt PromptSystem.on_hold_music",
                             "prompt Prompt.PleaseHoldAsYourCallsRetrieved"]
    assert (result.disposition.kind, result.disposition.queue) == ("waiting_in_queue", "Orbit 12")


# --- ani-blacklist-workflow.yaml: a workflow (isInput variables, setConversationData, endWorkflow) ---------------


BLACKLIST = {"flow_name": "Blacklist", "division": "Home", "default_language": "en-us", "data_table": "Blacklist",
             "data_action_category": "Genesys Cloud Data Actions", "data_action_name": "Disconnect Conversation"}


@pytest.mark.parametrize(("rows", "blacklisted"), [({"13175550116": {"key": "13175550116"}}, True), ({}, False)])
def test_the_blacklist_workflow_marks_and_disconnects_a_listed_caller(tmp_path, rows, blacklisted):
    write_action(tmp_path, "Disconnect Conversation", path="/disconnect",
                 input_properties={"conversationId": {"type": "string"}})
    with StubServer() as stub:
        stub.answer("POST", "/disconnect", json_body={})
        result = run("ani-blacklist-workflow.yaml", BLACKLIST, actions_dir=tmp_path, service_url=stub.url,
                     data_tables={"Blacklist": rows},
                     flow_inputs={"Flow.ani": ANI, "Flow.conversationId": "conv-1"})
        assert [request.json() for request in stub.received] == ([{"conversationId": "conv-1"}] if blacklisted else [])
    expected = {"TECH_Workflow_ANI": ANI, "TECH_Workflow_ANI_number": "13175550116"}
    if blacklisted:
        expected["TECH_Blacklisted"] = "True"
    assert result.participantData == expected
    assert result.disposition.kind == "workflow_ended"


def test_a_flow_input_the_workflow_does_not_declare_is_an_error():
    from architect.runtime.flow import SimulationError

    with pytest.raises(SimulationError, match=r"Flow.phone is not an input of this flow \(isInput: true variables: "
                                              r"Flow.ani, Flow.conversationId\)"):
        run("ani-blacklist-workflow.yaml", BLACKLIST, flow_inputs={"Flow.phone": ANI})
