"""evaluateScheduleGroup: the state the simulation is told picks the output; emergency comes first."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from architect.runtime.flow import SimulationError, UnsupportedFeatureError

ROOT = Path(__file__).resolve().parents[2]

HOURS_FLOW = """\
inboundCall:
  name: Hours
  startUpRef: /inboundCall/tasks/task[main]
  tasks:
    - task:
        name: Main
        refId: main
        actions:
          - evaluateScheduleGroup:
              name: Business hours
              evaluate: {now: true}
              scheduleGroup: {lit: {name: Main Office}}
              emergencyGroup: {lit: {name: Storm}}
              inServiceSchedules: {noValue: true}
              outputs:
                closed:
                  actions:
                    - playAudio: {audio: {tts: We are closed.}}
                    - disconnect: {name: Closed}
                holiday:
                  actions:
                    - playAudio: {audio: {tts: Happy holidays.}}
                    - disconnect: {name: Holiday}
                emergency:
                  actions:
                    - playAudio: {audio: {tts: We are closed because of an emergency.}}
                    - disconnect: {name: Emergency}
          - transferToAcd: {targetQueue: {lit: {name: Sales}}}
"""


@pytest.mark.parametrize(("schedules", "emergencies", "kind", "audio"), [
    ({"Main Office": "open"}, [], "transferred_to_queue", []),  # open: no actions, the task goes on
    ({"main office": "closed"}, [], "disconnected", ["TTS 'We are closed.'"]),  # names are case-insensitive
    ({"Main Office": "holiday"}, [], "disconnected", ["TTS 'Happy holidays.'"]),
    ({"Main Office": "open"}, ["Storm"], "disconnected", ["TTS 'We are closed because of an emergency.'"]),
    ({"Main Office": "holiday"}, ["Other"], "disconnected", ["TTS 'Happy holidays.'"]),  # another group's emergency
])
def test_the_told_state_picks_the_output(simulate, schedules, emergencies, kind, audio):
    result = simulate(HOURS_FLOW, schedules=schedules, emergencies=emergencies)
    assert result.disposition.kind == kind
    assert [a["text"] for a in result.audio] == audio
    step = next(s for s in result.steps if s.kind == "evaluateScheduleGroup")
    expected = "emergency" if "Storm" in emergencies else schedules.popitem()[1]
    assert step.detail["outcome"] == expected


def test_a_group_without_a_state_stops_naming_the_option(simulate):
    with pytest.raises(SimulationError) as error:
        simulate(HOURS_FLOW)
    assert str(error.value) == ("/inboundCall/tasks/task[main]/actions[0]/evaluateScheduleGroup/scheduleGroup: the "
                                "state of schedule group 'Main Office' was not given (companion simulate --schedule "
                                "\"Main Office=open\"; open, closed or holiday)")


def test_a_group_given_by_an_expression_that_is_not_set_is_no_group(simulate):
    flow = HOURS_FLOW.replace("scheduleGroup: {lit: {name: Main Office}}", "scheduleGroup: {exp: ToScheduleGroup(NOT_SET)}")
    result = simulate(flow, schedules={"Main Office": "open"})
    [step] = [s for s in result.steps if s.kind == "evaluateScheduleGroup"]
    assert (step.detail["outcome"], step.detail["reason"]) == (
        "closed", "emergency group 'Storm' is not active and there is no schedule group")
    assert result.audio[-1]["text"] == "TTS 'We are closed.'"


def test_a_not_set_evaluation_time_goes_to_error_handling(simulate):
    flow = HOURS_FLOW.replace("evaluate: {now: true}", "evaluate: {exp: 'ToDateTime(NOT_SET)'}")
    result = simulate(flow, schedules={"Main Office": "open"})
    assert result.disposition.kind == "disconnected"
    assert result.errors == [{"kind": "flowError", "message": "the schedule evaluation time is NOT_SET",
                              "path": "/inboundCall/tasks/task[main]/actions[0]/evaluateScheduleGroup/evaluate"}]


def test_a_wrong_state_is_refused():
    with pytest.raises(ValueError, match=r"schedule group 'Main Office': state 'shut' is not one of open, closed"):
        from architect.runtime.flow import parse_flow, run_flow
        run_flow(parse_flow(HOURS_FLOW), ani="tel:+13175550116", conversation_id="c", schedules={"Main Office": "shut"})


def test_schedule_and_emergency_from_the_command_line(tmp_path):
    flow = tmp_path / "hours.yaml"
    flow.write_text(HOURS_FLOW, encoding="utf-8")
    companion = str(Path(sys.executable).with_name("companion"))

    def simulate_cli(*extra):
        return subprocess.run([companion, "simulate", str(flow), "--ani", "tel:+13175550116", "--json", *extra],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    holiday = simulate_cli("--schedule", "Main Office=holiday")
    assert holiday.returncode == 0, holiday.stderr
    assert json.loads(holiday.stdout)["audio"][0]["text"] == "TTS 'Happy holidays.'"
    storm = simulate_cli("--schedule", "Main Office=open", "--emergency", "Storm")
    assert json.loads(storm.stdout)["disposition"]["kind"] == "disconnected"
    bad = simulate_cli("--schedule", "Main Office=shut")
    assert bad.returncode == 2
    assert "Invalid value for --schedule: the state is open, closed or holiday; got 'Main Office=shut'" in bad.stderr
