"""The generated sample flow (architect/flows/) with the generated data actions against the real service.

Each test runs `companion-sample-inbound-call.yaml` through the flow runner with an options file written here, the
committed action files, and a real gunicorn serving /v1/context from the demo CRM (tests/conftest.py demo_db) or
from the CRM stub (tests/crm_stub.py) for the degraded cases. Expected attributes are the demo callers' records
(service/crm/demo.py) written out by hand.
"""

import json
import re
from pathlib import Path

import pytest
import requests

from architect.runtime.flow import load_flow, read_options, run_flow
from service.crm.demo import REGULAR_PHONE, UNKNOWN_PHONE, VIP_PHONE
from tests.crm_stub import CrmStub
from tests.runtime.stub_server import StubServer
from tests.servers import GunicornServer

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "architect" / "flows" / "companion-sample-inbound-call.yaml"
ACTIONS = ROOT / "architect" / "data-actions"
API_KEY = "flow-test-key-0123456789abcdef"
TRACE_SECRET = "flow-test-trace-secret-0123456789"
CONVERSATION_ID = "6f1c2b9e-8d7a-4e3b-9c1d-0a2b3c4d5e6f"
OPTIONS = """\
substitutions:
  flow_name: "Companion Sample (test)"
  companion_integration: "Architect Companion"
  vip_queue: "VIP"
  default_queue: "General Support"
"""


@pytest.fixture(scope="module")
def options_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("options") / "options.yaml"
    path.write_text(OPTIONS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def flow(options_file):
    return load_flow(FLOW, read_options(options_file))


@pytest.fixture(scope="module")
def service(demo_db):
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
           "COMPANION_SQLITE_PATH": str(demo_db)}
    with GunicornServer(env) as server:
        yield server


@pytest.fixture(scope="module")
def crm():
    with CrmStub({}) as stub:
        yield stub


@pytest.fixture(scope="module")
def http_service(crm):
    """The service with the http CRM backend against the stub; a 2 s CRM deadline, no cache, breaker off."""
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
           "COMPANION_CRM_BACKEND": "http", "COMPANION_CRM_URL_TEMPLATE": crm.template(),
           "COMPANION_CRM_DEADLINE_MS": "2000", "COMPANION_CRM_CONNECT_TIMEOUT_MS": "100",
           "COMPANION_CRM_BREAKER_FAILURES": "1000", "COMPANION_CRM_CACHE_TTL_S": "0",
           "COMPANION_CRM_CACHE_MISS_TTL_S": "0", "COMPANION_WORKERS": "1"}
    with GunicornServer(env) as server:
        yield server


def trace_attributes(server) -> dict:
    """The trace attributes the service derives for the conversation (asked directly, not through the flow)."""
    answer = requests.post(server.url + "/v1/trace", json={"conversationId": CONVERSATION_ID, "participantId": ""},
                           headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5).json()
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", answer["traceparent"])
    return {"traceparent": answer["traceparent"], "dd.trace_id": answer["ddTraceId"],
            "dd.span_id": answer["ddSpanId"]}


def simulate(flow, server_url: str, phone: str, actions=ACTIONS):
    return run_flow(flow, ani=f"tel:{phone}", conversation_id=CONVERSATION_ID, actions_dir=actions,
                    service_url=server_url, credentials={"apiKey": API_KEY})


def test_vip_caller_gets_crm_attributes_and_the_vip_queue(flow, service):
    result = simulate(flow, service.url, VIP_PHONE)
    assert result.participantData == {
        **trace_attributes(service),
        "crm.found": "true", "crm.degraded": "false", "crm.source": "sqlite", "crm.customerId": "CUST-000001",
        "crm.displayName": "Ada Lovelace", "crm.tier": "platinum", "crm.segment": "enterprise", "crm.vip": "true",
        "crm.priority": "95", "crm.preferredLanguage": "en-US", "crm.openCases": "1", "companion.status": "ok",
    }
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_queue", "VIP")
    assert result.disposition.description == "transferred to queue VIP"
    assert [(s.kind, s.detail.get("outcome")) for s in result.steps if s.kind == "decision"] == [
        ("decision", "yes"), ("decision", "yes")]
    call = next(s for s in result.steps if s.kind == "callData")
    assert call.detail["status"] == "success"
    assert call.detail["inputs"] == {"conversationId": CONVERSATION_ID, "phone": f"tel:{VIP_PHONE}"}
    assert [a["text"] for a in result.audio] == ["TTS 'Thank you for calling.'",
                                                 "TTS 'Please hold while we connect you.'"]


def test_known_regular_caller_goes_to_the_default_queue(flow, service):
    result = simulate(flow, service.url, REGULAR_PHONE)
    assert result.participantData == {
        **trace_attributes(service),
        "crm.found": "true", "crm.degraded": "false", "crm.source": "sqlite", "crm.customerId": "CUST-000002",
        "crm.displayName": "Charles Babbage", "crm.tier": "standard", "crm.segment": "consumer", "crm.vip": "false",
        "crm.priority": "40", "crm.preferredLanguage": "en-US", "crm.openCases": "0", "companion.status": "ok",
    }
    assert result.disposition.queue == "General Support"
    assert [s.detail["outcome"] for s in result.steps if s.kind == "decision"] == ["yes", "no"]


def test_unknown_caller_is_found_false_and_goes_to_the_default_queue(flow, service):
    result = simulate(flow, service.url, UNKNOWN_PHONE)
    assert result.participantData == {
        **trace_attributes(service),
        "crm.found": "false", "crm.degraded": "false", "crm.source": "sqlite", "crm.customerId": "",
        "crm.displayName": "", "crm.tier": "", "crm.segment": "", "crm.vip": "false", "crm.priority": "0",
        "crm.preferredLanguage": "", "crm.openCases": "0", "companion.status": "ok",
    }
    assert result.disposition.queue == "General Support"


def test_crm_down_gives_degraded_attributes_and_still_routes(flow, http_service, crm):
    crm.refuse()
    try:
        result = simulate(flow, http_service.url, VIP_PHONE)
    finally:
        crm.healthy()
    assert result.participantData == {
        **trace_attributes(http_service),
        "crm.found": "false", "crm.degraded": "true", "crm.source": "none", "crm.customerId": "",
        "crm.displayName": "", "crm.tier": "", "crm.segment": "", "crm.vip": "false", "crm.priority": "0",
        "crm.preferredLanguage": "", "crm.openCases": "0", "companion.status": "ok",
    }
    assert result.disposition.queue == "General Support"


def test_service_slower_than_the_action_timeout_takes_the_timeout_path(flow, http_service, crm, tmp_path):
    # A copy of the committed action with timeoutSeconds 1; the CRM answers after 1.5 s, inside the service's 2 s
    # deadline, so the service itself answers after ~1.5 s: too late for the action.
    action = json.loads((ACTIONS / "Companion-Get-Call-Context.custom.json").read_text(encoding="utf-8"))
    action["config"]["timeoutSeconds"] = 1
    (tmp_path / "Companion-Get-Call-Context.custom.json").write_text(json.dumps(action), encoding="utf-8")
    crm.slow(1500)
    try:
        result = simulate(flow, http_service.url, VIP_PHONE, actions=tmp_path)
    finally:
        crm.healthy()
    assert result.participantData == {"companion.status": "timeout"}
    assert result.disposition.queue == "General Support"
    call = next(s for s in result.steps if s.kind == "callData")
    assert (call.detail["status"], call.detail["timeoutSeconds"]) == ("timeout", 1.0)


def test_service_answering_500_takes_the_failure_path(flow):
    with StubServer() as stub:
        stub.answer("POST", "/v1/context", json_body={"error": "internal"}, status=500)
        result = simulate(flow, stub.url, VIP_PHONE)
        assert stub.last.headers["Authorization"] == f"Bearer {API_KEY}"
    assert result.participantData == {"companion.status": "failure"}
    assert result.disposition.queue == "General Support"
    call = next(s for s in result.steps if s.kind == "callData")
    assert call.detail["error"].startswith("remote endpoint answered HTTP 500")


def test_wrong_api_key_is_a_failure_too(flow, service):
    result = run_flow(flow, ani=f"tel:{VIP_PHONE}", conversation_id=CONVERSATION_ID, actions_dir=ACTIONS,
                      service_url=service.url, credentials={"apiKey": "not-the-key-0123456789"})
    assert result.participantData == {"companion.status": "failure"}
    assert result.disposition.queue == "General Support"

