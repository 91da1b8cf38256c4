"""collectInput: scripted keys into a variable, success and failure paths, keys typed ahead into a menu.

The rules and their sources are in architect/runtime/flow/collect.py; docs/flows.md ("Keyed input") lists
which are Genesys's documented behaviour and which are this runtime's choices.
"""

import pytest

from architect.runtime.flow import SimulationError
from tests.flows.test_runner import task_flow


def collect_flow(digits: str, extra: str = "", then: str = "") -> str:
    """A task that collects into Task.keyed, writes the outcome and the value to participant data, then `then`."""
    return task_flow(f"""\
          - collectInput:
              name: Card number
              inputData: {{var: Task.keyed}}
              digits: {digits}
              inputAudio: {{tts: Enter your card number.}}
{extra}
              outputs:
                success:
                  actions:
                    - setParticipantData:
                        attributes:
                          - attribute: {{name: {{lit: outcome}}, value: {{lit: success}}}}
                          - attribute: {{name: {{lit: keyed}}, value: {{exp: Task.keyed}}}}
                failure:
                  actions:
                    - setParticipantData:
                        attributes:
                          - attribute: {{name: {{lit: outcome}}, value: {{lit: failure}}}}
                          - attribute: {{name: {{lit: keyed}}, value: {{exp: 'If(IsSet(Task.keyed), Task.keyed, "unset")'}}}}
{then}
          - disconnect: {{name: Done}}
""", variables="""\
          - stringVariable:
              name: Task.keyed
              initialValue: {noValue: true}
""")


RANGE = "{range: {min: 4, max: 9, terminatingDtmf: digit_#}}"


@pytest.mark.parametrize(("digits", "keys", "outcome", "keyed"), [
    ("{exact: 5}", "12345", "success", "12345"),
    ("{exact: {lit: 5}}", "12345", "success", "12345"),
    ("{exact: 5}", "123", "failure", "unset"),  # fewer digits: timeout, failure
    ("{exact: 5}", "12#45", "failure", "unset"),  # no terminating key for an exact count
    ("{exact: 5}", "", "failure", "unset"),  # nothing keyed: no-entry timeout
    (RANGE, "1234#", "success", "1234"),
    (RANGE, "123456789", "success", "123456789"),  # max reached, no terminator needed
    (RANGE, "123456", "success", "123456"),  # in range, then a pause
    (RANGE, "12#", "failure", "unset"),  # terminated below the minimum
    (RANGE, "12345*", "failure", "unset"),  # the other of * and # takes the failure path
    ("{range: {min: 1, max: 3}}", "1#", "failure", "unset"),  # no terminator configured
])
def test_keys_decide_the_path_and_the_value(simulate, digits, keys, outcome, keyed):
    result = simulate(collect_flow(digits), dtmf=[keys])
    assert result.participantData == {"outcome": outcome, "keyed": keyed}
    step = next(s for s in result.steps if s.kind == "collectInput")
    assert (step.detail["input"], step.detail["outcome"]) == (keys, outcome)
    assert step.detail["audio"] == "TTS 'Enter your card number.'"
    assert result.disposition.kind == "disconnected"


def test_terminator_in_result_data_and_lone_star(simulate):
    kept = simulate(collect_flow(RANGE, extra="              includeTerminatingDtmfInResultData: true"),
                    dtmf=["98765#"])
    assert kept.participantData["keyed"] == "98765#"
    star = simulate(collect_flow("{exact: 1}", extra="              acceptJustStar: {lit: true}"), dtmf=["*"])
    assert star.participantData == {"outcome": "success", "keyed": "*"}
    refused = simulate(collect_flow("{exact: 1}", extra="              acceptJustStar: {lit: false}"), dtmf=["*"])
    assert refused.participantData["outcome"] == "failure"


def test_failure_leaves_the_variable_as_it_was(simulate):
    flow = task_flow("""\
          - updateData:
              statements:
                - string: {variable: Task.keyed, value: {lit: before}}
          - collectInput:
              inputData: {var: Task.keyed}
              digits: {exact: 4}
              outputs:
                failure:
                  actions:
                    - setParticipantData:
                        attributes:
                          - attribute: {name: {lit: keyed}, value: {exp: Task.keyed}}
""", variables="""\
          - stringVariable:
              name: Task.keyed
""")
    assert simulate(flow, dtmf=["12"]).participantData == {"keyed": "before"}


def test_keys_typed_ahead_go_to_the_next_menu(simulate):
    # "the flow accepts the first ten digits heard. It interprets any digits that follow as direction for the
    # next action" (help.mypurecloud.com, Add a Collect Input action to a task).
    flow = """\
inboundCall:
  name: Typed ahead
  startUpRef: /inboundCall/tasks/task[main]
  menus:
    - menu:
        name: After
        refId: after
        audio: {tts: Press 1 for sales.}
        choices:
          - menuTransferToAcd: {name: Sales, dtmf: digit_1, targetQueue: {lit: {name: Sales}}}
          - menuDisconnect: {name: Bye, dtmf: digit_9}
  tasks:
    - task:
        name: Main
        refId: main
        variables:
          - stringVariable:
              name: Task.pin
        actions:
          - collectInput:
              inputData: {var: Task.pin}
              digits: {exact: 4}
              verificationType: none
          - jumpToMenu: {targetMenuRef: "/inboundCall/menus/menu[after]"}
"""
    result = simulate(flow, dtmf=["43211"])
    assert result.variables["Task.pin"] == "4321"
    assert (result.disposition.kind, result.disposition.queue) == ("transferred_to_queue", "Sales")
    menu = next(s for s in result.steps if s.kind == "menu")
    assert menu.detail["input"] == "1"


def test_verification_is_recorded_and_taken_as_confirmed(simulate):
    result = simulate(collect_flow("{exact: 3}", extra="              verificationType: individualDigits"),
                      dtmf=["123"])
    step = next(s for s in result.steps if s.kind == "collectInput")
    assert step.detail["verification"] == "individualDigits read-back of '123', taken as confirmed"
    assert result.participantData["outcome"] == "success"


def test_no_scripted_keys_left_ends_the_call_as_out_of_input(simulate):
    result = simulate(collect_flow("{exact: 3}"))
    assert result.disposition.kind == "out_of_input"
    assert result.disposition.description == ("ran out of scripted input at collect input 'Card number' "
                                              "(give more digits with --dtmf)")


@pytest.mark.parametrize(("digits", "message"), [
    ("{exact: 0}", "exact must be between 1 and 99, got 0"),
    ("{exact: many}", "exact must be a whole number, got 'many'"),
    ("{range: {min: 5, max: 2}}", "min (5) is above max (2)"),
    ("{range: {min: 1, max: 4, terminatingDtmf: digit_A}}",
     "terminatingDtmf must be digit_0 to digit_9, digit_* or digit_#, got 'digit_A'"),
    ("{between: 3}", "digits must be `{exact: N}` or `{range: {min: N, max: M, terminatingDtmf: ...}}`"),
])
def test_a_broken_action_is_an_error_naming_its_path(simulate, digits, message):
    with pytest.raises(SimulationError) as error:
        simulate(collect_flow(digits), dtmf=["1"])
    assert message in str(error.value)
    assert "/inboundCall/tasks/task[main]/actions[0]/collectInput/digits" in str(error.value)


def test_keys_a_phone_does_not_have_are_refused(simulate):
    with pytest.raises(SimulationError, match=r"scripted input '12a' has keys a phone does not have"):
        simulate(collect_flow("{exact: 3}"), dtmf=["12a"])
