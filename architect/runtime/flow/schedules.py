"""evaluateScheduleGroup: route by a schedule group's state, which the simulation is told (--schedule).

Genesys ("Evaluate Schedule Group action", help.mypurecloud.com/articles/evaluate-schedule-group-action/):
schedules are evaluated in the order emergency, holiday, closed, open; when no schedule includes the time the
flow takes Closed; a NOT_SET evaluation time fails the action and starts flow-level error handling.

A group may be given by an expression: `ToScheduleGroup(NOT_SET)` is no group at all. With no schedule group
the action takes Emergency when the emergency group is active and Closed otherwise (our reading of "when no
schedule includes the time the flow takes Closed").

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
from architect.runtime.flow.outputs import branch
from architect.runtime.flow.values import NOT_SET

STATES = ("open", "closed", "holiday")


def checked_state(name: str, state: str) -> str:
    """A schedule group's state as the simulation is told it, normalised; ValueError if it is none of STATES."""
    normal = str(state).strip().lower()
    if normal not in STATES:
        raise ValueError(f"schedule group {name!r}: state {state!r} is not one of {', '.join(STATES)}")
    return normal


def _group_name(runner, slot, path: str, what: str) -> str | None:
    """A schedule or emergency group's name; None for `noValue: true`, no slot, or an expression giving NOT_SET.

    Real exports write a group as `lit: {name: X}`, some with `name: X` beside the `lit:` (DR-Emergency-IVR.yaml,
    GenesysCloudBlueprints/dr-fallback-ivr), or as an expression such as `ToScheduleGroup(NOT_SET)`.
    """
    if slot is None or slot == {"noValue": True}:
        return None
    if isinstance(slot, dict) and "lit" in slot and set(slot) <= {"lit", "name"} and isinstance(slot["lit"], dict):
        name = slot["lit"].get("name")
        if isinstance(name, str) and name.strip():
            beside = slot.get("name")
            if beside is not None and (not isinstance(beside, str) or beside.strip() != name.strip()):
                raise SimulationError(f"the {what}'s name: {beside!r} differs from its lit: name {name!r}", path)
            return name.strip()
    if isinstance(slot, dict) and set(slot) == {"exp"}:
        value = runner.value(slot, path)
        if value is NOT_SET:
            return None
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value["name"].strip()
        raise SimulationError(f"the {what} expression gave {value!r}, not a {what}", path)
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
        # Chosen (Genesys does not say): with neither group set, no schedule includes the time, so Closed.
        outcome, why = "closed", "no schedule group and no emergency group is set (NOT_SET)"
    elif emergency is not None and emergency.casefold() in runner.emergencies:
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
