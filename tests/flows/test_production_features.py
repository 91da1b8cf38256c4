"""Flow features production flows use, one behaviour each: terminating keys, schedule groups by expression,
duration functions, common modules, and message flows built from states."""

from __future__ import annotations

import datetime as dt

import pytest

from architect.runtime.flow import SimulationError, parse_flow, run_flow
from tests.flows.test_collect_input import collect_flow


@pytest.mark.parametrize("key", list("0123456789*#"))
def test_every_key_archy_allows_can_end_a_range(simulate, key):
    digit = "1" if key != "1" else "2"
    flow = collect_flow(f"{{range: {{min: 1, max: 4, terminatingDtmf: digit_{key}}}}}")
    result = simulate(flow, dtmf=[digit * 2 + key])
    assert result.participantData == {"outcome": "success", "keyed": digit * 2}


def test_a_digit_terminator_is_not_collected_as_a_digit(simulate):
    flow = collect_flow("{range: {min: 1, max: 4, terminatingDtmf: digit_9}}",
                        extra="              includeTerminatingDtmfInResultData: true")
    assert simulate(flow, dtmf=["129"]).participantData == {"outcome": "success", "keyed": "129"}


SCHEDULE = """\
inboundCall:
  name: Hours
  startUpRef: /inboundCall/tasks/task[main]
  tasks:
    - task:
        name: Main
        refId: main
        actions:
          - evaluateScheduleGroup:
              evaluate: {now: true}
              scheduleGroup: {exp: ToScheduleGroup(NOT_SET)}
              emergencyGroup: EMERGENCY
              outputs:
                emergency: {actions: [{disconnect: {name: Emergency}}]}
                closed: {actions: [{playAudio: {audio: {tts: Closed.}}}]}
          - transferToAcd: {targetQueue: {lit: {name: Sales}}}
"""


@pytest.mark.parametrize(("group", "emergencies", "kind"), [
    ("{lit: {name: Storm}, name: Storm}", ["Storm"], "disconnected"),
    ("{lit: {name: Storm}, name: Storm}", [], "transferred_to_queue"),
    ("{noValue: true}", [], "transferred_to_queue"),
])
def test_schedule_group_not_set_and_emergency_group_with_its_name_beside(simulate, group, emergencies, kind):
    result = simulate(SCHEDULE.replace("EMERGENCY", group), emergencies=emergencies)
    assert result.disposition.kind == kind


def test_an_emergency_group_whose_two_names_differ_is_an_error(simulate):
    with pytest.raises(SimulationError, match="the emergency group's name: 'Flood' differs from its lit: name 'Storm'"):
        simulate(SCHEDULE.replace("EMERGENCY", "{lit: {name: Storm}, name: Flood}"))


def _value(simulate, expression: str, type_name: str = "string"):
    result = simulate(f"""\
inboundCall:
  name: Values
  startUpRef: /inboundCall/tasks/task[main]
  tasks:
    - task:
        name: Main
        refId: main
        actions:
          - updateData: {{statements: [{{{type_name}: {{variable: Task.out, value: {{exp: '{expression}'}}}}}}]}}
          - playAudio: {{audio: {{exp: 'ToAudioDuration(MakeDuration(0, 0, 1, 30))'}}}}
          - disconnect: {{name: Done}}
""")
    return result


@pytest.mark.parametrize(("expression", "text"), [
    ("ToString(MakeDuration(1, 2, 3, 4))", "P1DT2H3M4S"),
    ("ToString(MakeDuration(0, 0, 0, 90))", "PT1M30S"),
    ("ToString(ToDuration(\"PT4M30S\") + MakeDuration(0, 0, 0, 30))", "PT5M"),
    ("ToString(ToDuration(\"P1DT1H\"))", "P1DT1H"),
    ("ToDisplayString(NOT_SET)", ""),
])
def test_duration_functions(simulate, expression, text):
    result = _value(simulate, expression)
    assert result.variables["Task.out"] == text
    assert result.audio[0]["text"] == "duration PT1M30S"


def test_to_duration_of_text_that_is_no_duration_goes_to_error_handling(simulate):
    result = _value(simulate, 'ToString(ToDuration("soon"))')
    assert result.errors[0]["message"].startswith("ToDuration: 'soon' is not a duration")


CALLER = """\
inboundCall:
  name: Caller
  startUpRef: /inboundCall/tasks/task[main]
  tasks:
    - task:
        name: Main
        refId: main
        variables:
          - stringVariable: {name: Task.greeting}
        actions:
          - callCommonModule:
              name: Greeting
              commonModule:
                Make Greeting:
                  ver_latestPublished:
                    inputs:
                      Common.caller: {exp: Call.Ani}
                    outputs:
                      Common.greeting: {var: Task.greeting}
          - setParticipantData:
              attributes:
                - attribute: {name: {lit: greeting}, value: {exp: Task.greeting}}
          - disconnect: {name: Done}
"""
MODULE = """\
commonModule:
  name: Make Greeting
  startUpRef: /commonModule/tasks/task[start]
  variables:
    - stringVariable: {name: Common.caller, isInput: true}
    - stringVariable: {name: Common.greeting, isOutput: true, initialValue: {lit: ""}}
  tasks:
    - task:
        name: Start
        refId: start
        actions:
          - updateData:
              statements:
                - string: {variable: Common.greeting, value: {exp: 'Append("Hello ", Common.caller)'}}
          - playAudio: {audio: {exp: 'ToAudioTTS(Common.greeting)'}}
          - endTask: {outputPath: {name: Done}}
"""


def test_a_common_module_runs_with_its_inputs_and_gives_its_outputs_back(simulate):
    module = parse_flow(MODULE, source="module.yaml")
    result = simulate(CALLER, common_modules=[module])
    assert result.participantData == {"greeting": "Hello tel:+13175550116"}
    assert result.audio[0]["text"] == "TTS 'Hello tel:+13175550116'"
    assert [s.kind for s in result.steps][:3] == ["task", "callCommonModule", "task"]


def test_a_common_module_not_given_stops_naming_the_option(simulate):
    with pytest.raises(SimulationError, match=r"common module 'Make Greeting' was not given \(companion simulate "
                                              r"--common-module FILE; given: none\)"):
        simulate(CALLER)


CHAT = """\
inboundChat:
  name: Chat
  startUpRef: "/inboundChat/states/state[Initial State_10]"
  states:
    - state:
        name: Initial State
        refId: Initial State_10
        variables:
          - stringVariable: {name: State.topic, initialValue: {lit: billing}}
        actions:
          - setParticipantData:
              attributes:
                - attribute: {name: {lit: topic}, value: {exp: State.topic}}
          - transferToAcd: {targetQueue: {lit: {name: Chat Support}}}
"""


def test_a_chat_flow_runs_its_state_with_the_actions_it_shares_with_call_flows(simulate):
    result = simulate(CHAT)
    assert [s.kind for s in result.steps] == ["state", "setParticipantData", "transferToAcd"]
    assert result.participantData == {"topic": "billing"}
    assert result.disposition.queue == "Chat Support"


def test_simulate_runs_a_common_module_given_on_the_command_line_and_takes_built_ins(tmp_path):
    import json

    from click.testing import CliRunner

    from service.cli import cli

    (tmp_path / "caller.yaml").write_text(CALLER.replace("exp: Call.Ani", "exp: Email.Message.subject"),
                                          encoding="utf-8")
    (tmp_path / "module.yaml").write_text(MODULE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["simulate", str(tmp_path / "caller.yaml"), "--ani", "tel:+13175550116",
                                      "--common-module", str(tmp_path / "module.yaml"),
                                      "--builtin", "Email.Message.subject=Refund", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["participantData"] == {"greeting": "Hello Refund"}


def test_a_common_module_option_that_is_no_common_module_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from service.cli import cli

    (tmp_path / "caller.yaml").write_text(CALLER, encoding="utf-8")
    result = CliRunner().invoke(cli, ["simulate", str(tmp_path / "caller.yaml"), "--ani", "tel:+13175550116",
                                      "--common-module", str(tmp_path / "caller.yaml")])
    assert result.exit_code == 2
    assert "not a commonModule flow" in result.output
