"""callData in flows: the action runs against a local HTTP stub; outputs typed by the contract; output paths."""

import pytest

from architect.runtime.flow import SimulationError
from tests.flows.conftest import write_action

FLOW = """\
inboundCall:
  name: Lookup Flow
  startUpRef: ./tasks/task[main]
  tasks:
    - task:
        name: Main
        refId: main
        variables:
          - integerVariable: {name: Task.count}
          - decimalVariable: {name: Task.score}
          - booleanVariable: {name: Task.vip, initialValue: {lit: false}}
          - stringVariable: {name: Task.tier, initialValue: {lit: none}}
          - stringCollectionVariable: {name: Task.tags}
          - stringVariable: {name: Task.city}
        actions:
          - callData:
              name: Look up
              timeout: {lit: {seconds: 2}}
              category:
                CRM:
                  dataAction:
                    Get Caller:
                      inputs:
                        phone: {exp: Call.Ani}
                        note: {noValue: true}
                      successOutputs:
                        count: {var: Task.count}
                        score: {var: Task.score}
                        vip: {var: Task.vip}
                        tier: {var: Task.tier}
                        tags: {var: Task.tags}
                        address.city: {var: Task.city}
              outputs:
                success:
                  actions:
                    - setParticipantData:
                        attributes:
                          - attribute: {name: {lit: status}, value: {lit: ok}}
                          - attribute: {name: {lit: summary}, value: {exp: 'ToString(Task.count + 1) + "/" + ToString(Task.score) + "/" + ToString(Task.vip) + "/" + GetAt(Task.tags, 1) + "/" + Task.city'}}
                failure:
                  actions:
                    - setParticipantData: {attributes: [{attribute: {name: {lit: status}, value: {lit: failure}}}]}
                timeout:
                  actions:
                    - setParticipantData: {attributes: [{attribute: {name: {lit: status}, value: {lit: timeout}}}]}
          - decision:
              condition: {exp: Task.vip}
              outputs:
                "yes": {actions: [{transferToAcd: {targetQueue: {lit: {name: VIP}}}}]}
          - transferToAcd: {targetQueue: {lit: {name: General}}}
"""

OUTPUTS = {
    "count": {"type": "integer"}, "score": {"type": "number"}, "vip": {"type": "boolean"},
    "tier": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
    "address": {"type": "object", "properties": {"city": {"type": "string"}}},
}
INPUTS = {"phone": {"type": "string"}, "note": {"type": "string"}}


@pytest.fixture
def action(tmp_path):
    return write_action(tmp_path / "actions", "Get Caller", output_properties=OUTPUTS, input_properties=INPUTS,
                        timeout_seconds=5)


def test_success_binds_typed_outputs_and_takes_the_success_path(simulate, stub, action):
    stub.answer("POST", "/lookup", json_body={"count": 4, "score": 0.75, "vip": True, "tier": "gold",
                                              "tags": ["a", "b"], "address": {"city": "Indianapolis"}})
    result = simulate(FLOW, service_url=stub.url)
    # The unset input is left out of the request; the expression input is the caller's address.
    assert stub.last.json() == {"phone": "tel:+13175550116"}
    assert result.participantData == {"status": "ok", "summary": "5/0.75/true/b/Indianapolis"}
    assert result.disposition.queue == "VIP"
    step = result.steps[1]
    assert step.kind == "callData"
    assert step.detail["status"] == "success"
    assert step.detail["timeoutSeconds"] == 2.0  # the flow's 2 s beats the action's 5 s
    assert result.variables["Task.count"] == "4"
    assert result.variables["Task.tags"] == "[a, b]"
    assert result.dataActionMs > 0


def test_missing_output_is_not_set_and_reading_it_goes_to_error_handling(simulate, stub, action):
    stub.answer("POST", "/lookup", json_body={"count": 1, "score": 1, "vip": False, "tier": "basic", "tags": ["x"]})
    result = simulate(FLOW, service_url=stub.url)
    assert result.variables["Task.city"] == "NOT_SET"
    # The summary reads Task.city (NOT_SET) into a participant attribute: Architect's error handling (default:
    # disconnect) takes over before the status attribute is written.
    assert result.participantData == {}
    assert result.disposition.kind == "disconnected"
    assert result.errors[0]["path"].endswith("/setParticipantData/attributes[1]/attribute/value/exp")


def test_http_500_takes_the_failure_path(simulate, stub, action):
    stub.answer("POST", "/lookup", json_body={"message": "boom"}, status=500)
    result = simulate(FLOW, service_url=stub.url)
    assert result.participantData == {"status": "failure"}
    assert result.disposition.queue == "General"
    assert result.steps[1].detail["error"].startswith("remote endpoint answered HTTP 500")


def test_slow_endpoint_takes_the_timeout_path(simulate, stub, tmp_path):
    write_action(tmp_path / "actions", "Get Caller", output_properties=OUTPUTS, input_properties=INPUTS,
                 timeout_seconds=1)
    stub.answer("POST", "/lookup", json_body={}, delay=1.5)
    result = simulate(FLOW, service_url=stub.url)
    assert result.participantData == {"status": "timeout"}
    assert result.steps[1].detail["timeoutSeconds"] == 1.0
    assert result.disposition.queue == "General"


def test_missing_action_is_a_clear_error(simulate, tmp_path):
    write_action(tmp_path / "actions", "Something Else")
    with pytest.raises(SimulationError) as error:
        simulate(FLOW, service_url="http://127.0.0.1:9")
    assert str(error.value) == ("/inboundCall/tasks/task[main]/actions[0]/callData/category/CRM/dataAction/"
                                f"Get Caller: data action 'Get Caller' (integration 'CRM') not found in "
                                f"{tmp_path / 'actions'}; actions there: Something Else")


def test_category_subfolder_pins_an_action_to_its_integration(simulate, stub, tmp_path):
    # Same action name in two integrations: the subfolder named after the callData category wins.
    write_action(tmp_path / "actions" / "Other", "Get Caller", path="/wrong", output_properties=OUTPUTS,
                 input_properties=INPUTS)
    write_action(tmp_path / "actions" / "CRM", "Get Caller", output_properties=OUTPUTS, input_properties=INPUTS)
    stub.answer("POST", "/lookup", json_body={"count": 0, "score": 0, "vip": False, "tier": "t", "tags": ["a", "b"],
                                              "address": {"city": "X"}})
    result = simulate(FLOW, service_url=stub.url)
    assert result.participantData["status"] == "ok"
    assert [r.path for r in stub.received] == ["/lookup"]


def test_unknown_output_binding_is_a_definition_error(simulate, stub, tmp_path):
    write_action(tmp_path / "actions", "Get Caller", output_properties={"count": {"type": "integer"}},
                 input_properties=INPUTS)
    stub.answer("POST", "/lookup", json_body={"count": 1})
    with pytest.raises(SimulationError, match="'score' is not an output of the action's contract"):
        simulate(FLOW, service_url=stub.url)
