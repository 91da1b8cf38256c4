"""Scenario `call:` fields reach the runner (dtmf, schedules, emergencies, participant data, queues, data tables),
and coverage counts menu choices, switch cases and schedule outputs."""

import json
import textwrap

import pytest

from architect.testing.coverage import flow_coverage
from architect.testing.execute import PASSED, run_scenarios
from architect.testing.scenarios import ScenarioFileError, load_scenario_file

FLOW = """\
inboundCall:
  name: Front desk
  startUpRef: /inboundCall/tasks/task[hours]
  tasks:
    - task:
        name: Hours
        refId: hours
        variables:
          - stringVariable: {name: Task.language}
          - stringVariable: {name: Task.plan}
        actions:
          - evaluateScheduleGroup:
              name: Office hours
              evaluate: {now: true}
              scheduleGroup: {lit: {name: Office}}
              emergencyGroup: {lit: {name: Storm}}
              inServiceSchedules: {noValue: true}
              outputs:
                closed: {actions: [{disconnect: {name: Closed}}]}
                holiday: {actions: [{disconnect: {name: Holiday}}]}
                emergency: {actions: [{playAudio: {audio: {tts: Emergency closure.}}}, {disconnect: {name: Storm}}]}
          - getParticipantData:
              name: Language from the IVR
              attributes:
                - attribute: {name: {lit: lang}, variable: Task.language}
          - dataTableLookup:
              name: Plan
              lookupValue: {exp: "Call.Ani"}
              dataTable:
                Plans:
                  foundOutputs: {plan: {var: Task.plan}}
              outputs:
                notFound: {actions: [{updateData: {statements: [{string: {variable: Task.plan, value: {lit: none}}}]}}]}
          - switch:
              name: By language
              evaluate:
                firstTrue:
                  cases:
                    - case:
                        value: {exp: "Task.language == \\"fr\\""}
                        actions: [{jumpToMenu: {targetMenuRef: "./menus/menu[fr]"}}]
                    - case: {value: {exp: "Task.language == \\"de\\""}, actions: [{disconnect: {name: German}}]}
                  default: {actions: [{jumpToMenu: {targetMenuRef: "./menus/menu[main]"}}]}
  menus:
    - menu:
        name: Main menu
        refId: main
        audio: {tts: Press 1 for sales or 2 for support.}
        choices:
          - menuTransferToAcd: {name: Sales, dtmf: digit_1, targetQueue: {lit: {name: Sales}}}
          - menuTransferToAcd: {name: Support, dtmf: digit_2, targetQueue: {lit: {name: Support}}}
    - menu:
        name: Menu FR
        refId: fr
        audio: {tts: Tapez 1.}
        choices:
          - menuDisconnect: {name: Au revoir, dtmf: digit_1}
"""
SCENARIOS = """\
flow: front-desk.yaml
scenarios:
  - name: open, English, presses 2
    call:
      ani: "tel:+13175550116"
      schedules: {Office: open}
      participantData: {lang: en}
      dtmf: ["2"]
      dataTables: {Plans: plans.json}
    expect:
      disposition: {queue: Support}
      audioContains: [Press 1 for sales]
      pathContains: [Office hours, Plan, By language, Main menu, Support]
  - name: open, French caller gets the French menu
    call:
      ani: "tel:+13175550199"
      schedules: {Office: open}
      participantData: {lang: fr}
      dtmf: ["9", "1"]
      dataTables: {Plans: plans.json}
    expect:
      disposition: disconnect
      audioContains: [Tapez 1., Tapez 1.]
      pathContains: [Menu FR, Au revoir]
  - name: storm closes the office
    call:
      ani: "tel:+13175550116"
      schedules: {Office: open}
      emergencies: [Storm]
    expect:
      disposition: disconnect
      audioContains: [Emergency closure]
      pathExcludes: [Plan]
"""


def test_call_fields_drive_the_flow_and_coverage_counts_every_kind_of_branch(tmp_path):
    (tmp_path / "front-desk.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "plans.json").write_text(json.dumps([{"key": "tel:+13175550116", "plan": "gold"}]), encoding="utf-8")
    (tmp_path / "desk.scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    outcomes = run_scenarios([load_scenario_file(tmp_path / "desk.scenarios.yaml")], jobs=2)
    assert [(o.status, o.report()) for o in outcomes] == [(PASSED, "")] * 3
    first = outcomes[0].result
    assert first.variables["Task.plan"] == "gold" and outcomes[1].result.variables["Task.plan"] == "none"
    coverage, = flow_coverage(outcomes)
    untaken = {(b.path.rsplit("/", 1)[-1], b.outcome) for b in coverage.untaken}
    assert untaken == {("evaluateScheduleGroup", "closed"), ("evaluateScheduleGroup", "holiday"), ("switch", "case 1"),
                       ("menu[main]", "choice 0")}  # nobody pressed 1 for Sales
    assert len(coverage.branches) == 4 + 2 + 3 + 2 + 1  # schedule, lookup, switch, two menus
    assert f"{coverage.percent:.1f}" == f"{100 * 8 / 12:.1f}"


def test_a_scenario_whose_call_cannot_be_simulated_is_an_error_not_a_failure(tmp_path):
    (tmp_path / "front-desk.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "desk.scenarios.yaml").write_text(textwrap.dedent("""\
        flow: front-desk.yaml
        scenarios:
          - name: no schedule state given
            call: {ani: "tel:+13175550116"}
            expect: {disposition: disconnect}
        """), encoding="utf-8")
    outcome, = run_scenarios([load_scenario_file(tmp_path / "desk.scenarios.yaml")])
    assert outcome.status == "error"
    assert "the state of schedule group 'Office' was not given" in outcome.error


CLOCK_FLOW = """\
inboundCall:
  name: Clock
  startUpRef: /inboundCall/tasks/task[main]
  tasks:
    - task:
        name: Main
        refId: main
        actions:
          - setParticipantData:
              attributes:
                - attribute: {name: {lit: calledAt}, value: {exp: "ToString(GetCurrentDateTimeUtc())"}}
          - disconnect: {name: Bye}
"""


def test_now_fixes_the_simulated_clock_and_must_carry_a_time_zone(tmp_path):
    (tmp_path / "clock.yaml").write_text(CLOCK_FLOW, encoding="utf-8")
    (tmp_path / "clock.scenarios.yaml").write_text(textwrap.dedent("""\
        flow: clock.yaml
        scenarios:
          - name: at noon in Paris
            call: {ani: "tel:+33155550100", now: "2025-03-01T13:00:00+01:00"}
            expect: {participantData: {calledAt: "2025-03-01T12:00:00.000Z"}}
        """), encoding="utf-8")
    outcome, = run_scenarios([load_scenario_file(tmp_path / "clock.scenarios.yaml")])
    assert (outcome.status, outcome.report()) == (PASSED, "")
    (tmp_path / "clock.scenarios.yaml").write_text(textwrap.dedent("""\
        flow: clock.yaml
        scenarios:
          - {name: local time, call: {ani: "tel:+1", now: "2025-03-01T12:00:00"}, expect: {disposition: disconnect}}
        """), encoding="utf-8")
    with pytest.raises(ScenarioFileError, match=r"scenarios\[0\]\.call\.now: expected an ISO 8601 date and time "
                                                r"with a time zone"):
        load_scenario_file(tmp_path / "clock.scenarios.yaml")


def test_common_modules_named_by_the_file_run_and_a_wrong_one_is_refused(tmp_path):
    from tests.flows.test_production_features import CALLER, MODULE

    (tmp_path / "caller.yaml").write_text(CALLER, encoding="utf-8")
    (tmp_path / "module.yaml").write_text(MODULE, encoding="utf-8")
    body = """\
        flow: caller.yaml
        commonModules: [{module}]
        scenarios:
          - name: greeting from the module
            call: {{ani: "tel:+13175550116"}}
            expect: {{participantData: {{greeting: "Hello tel:+13175550116"}}, audioContains: [Hello tel]}}
        """
    (tmp_path / "m.scenarios.yaml").write_text(textwrap.dedent(body.format(module="module.yaml")), encoding="utf-8")
    outcome, = run_scenarios([load_scenario_file(tmp_path / "m.scenarios.yaml")])
    assert (outcome.status, outcome.report()) == (PASSED, "")
    (tmp_path / "m.scenarios.yaml").write_text(textwrap.dedent(body.format(module="caller.yaml")), encoding="utf-8")
    outcome, = run_scenarios([load_scenario_file(tmp_path / "m.scenarios.yaml")])
    assert outcome.status == "error" and "caller.yaml: not a commonModule flow" in outcome.error


@pytest.mark.parametrize("wait", ["soon", -5, True])
def test_an_estimated_wait_that_is_no_duration_is_refused(tmp_path, wait):
    (tmp_path / "clock.yaml").write_text(CLOCK_FLOW, encoding="utf-8")
    (tmp_path / "w.scenarios.yaml").write_text(textwrap.dedent(f"""\
        flow: clock.yaml
        scenarios:
          - {{name: w, call: {{ani: "tel:+1", estimatedWaitTime: {json.dumps(wait)}}}, expect: {{disposition: disconnect}}}}
        """), encoding="utf-8")
    with pytest.raises(ScenarioFileError, match=r"scenarios\[0\]\.call\.estimatedWaitTime"):
        load_scenario_file(tmp_path / "w.scenarios.yaml")
