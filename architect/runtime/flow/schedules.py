"""evaluateScheduleGroup: route by a schedule group's state, which the simulation is told (--schedule).

Genesys ("Evaluate Schedule Group action", help.mypurecloud.com/articles/evaluate-schedule-group-action/):
schedules are evaluated in the order emergency, holiday, closed, open; when no schedule includes the time the
flow takes Closed; a NOT_SET evaluation time fails the action and starts flow-level error handling.

The simulator has no schedules, only what it is told: `schedules` maps a schedule group's name to `open`,
`closed` or `holiday`, and `emergencies` names the emergency groups that are active. A group the simulation
was not told about stops it with the option to give, rather than guessing a state. The YAML shape:
`scheduleGroup`, `emergencyGroup` and the `emergency` output from docs/reference/archy-flows.md §5; the `open`, `closed`
and `holiday` output keys are the action's other paths (Open, Closed, Holiday) named the same way, as
third-party Archy generators write them (no Genesys export with this action was found).
"""

from __future__ import annotations

from architect.runtime.flow.errors import FlowFailure
from architect.runtime.flow.errors import SimulationError
from architect.runtime.flow.errors import UnsupportedFeatureError
from architect.runtime.flow.runner import branch
from architect.runtime.flow.values import NOT_SET

STATES = ("open", "closed", "holiday")


def checked_state(name: str, state: str) -> str:
    """A schedule group's state as the simulation is told it, normalised; ValueError if it is none of STATES."""
    normal = str(state).strip().lower()
    if normal not in STATES:
        raise ValueError(f"schedule group {name!r}: state {state!r} is not one of {', '.join(STATES)}")
    return normal


def _group_name(runner, slot, path: str, what: str) -> str | None:
    """A schedule or emergency group given by name (`lit: {name: X}`); None for `noValue: true` or no slot."""
    if slot is None or slot == {"noValue": True}:
        return None
    if isinstance(slot, dict) and set(slot) == {"lit"} and isinstance(slot["lit"], dict):
        name = slot["lit"].get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    if isinstance(slot, dict) and set(slot) == {"exp"}:
        raise UnsupportedFeatureError(f"a {what} given by an expression is not simulated; give it by name "
                                      "(lit: {name: ...})", path)
    raise SimulationError(f"{what} must be `lit: {{name: ...}}`, an expression, or `noValue: true`", path)


def evaluate_schedule_group(runner, body, path):
    """evaluateScheduleGroup: emergency (an active emergency group), else the group's told state."""
    evaluate = body.get("evaluate")
    if isinstance(evaluate, dict) and "exp" in evaluate:
        if runner.value(evaluate, f"{path}/evaluate", "dateTime") is NOT_SET:
            raise FlowFailure("the schedule evaluation time is NOT_SET", f"{path}/evaluate")
    output = body.get("inServiceSchedules")
    if isinstance(output, dict) and "var" in output:
        raise UnsupportedFeatureError("the inServiceSchedules output (the active schedules) is not simulated",
                                      f"{path}/inServiceSchedules")
    group = _group_name(runner, body.get("scheduleGroup"), f"{path}/scheduleGroup", "schedule group")
    emergency = _group_name(runner, body.get("emergencyGroup"), f"{path}/emergencyGroup", "emergency group")
    if group is None and emergency is None:
        raise SimulationError("evaluateScheduleGroup names no schedule group", f"{path}/scheduleGroup")
    if emergency is not None and emergency.casefold() in runner.emergencies:
        outcome, why = "emergency", f"emergency group {emergency!r} is active"
    elif group is None:
        outcome, why = "closed", f"emergency group {emergency!r} is not active and there is no schedule group"
    else:
        state = runner.schedules.get(group.casefold())
        if state is None:
            raise SimulationError(f"the state of schedule group {group!r} was not given (companion simulate "
                                  f"--schedule \"{group}=open\"; open, closed or holiday)", f"{path}/scheduleGroup")
        outcome, why = state, f"schedule group {group!r} is {state}"
    runner.record("evaluateScheduleGroup", path, body.get("name"), outcome=outcome, reason=why)
    runner.run_actions(branch(body.get("outputs"), outcome), f"{path}/outputs/{outcome}/actions")
