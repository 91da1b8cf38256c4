"""Stubbed data-action answers for scenario files: success with outputs, failure, or timeout, per action name."""

from __future__ import annotations

from dataclasses import dataclass, field

from architect.contracts import flattened_outputs
from architect.runtime.actions import ActionResult, Step
from architect.runtime.flow.registry import ActionLookupError, action_key

STATUSES = ("success", "failure", "timeout")  # the Call Data Action output paths (docs/testing-flows.md)


@dataclass(frozen=True)
class Stub:
    """What one data action answers in a scenario."""

    status: str  # success, failure or timeout
    outputs: dict = field(default_factory=dict)  # success only: flattened output name -> value
    message: str = ""


def check_stub(stub: Stub, action: dict) -> None:
    """A stub's outputs must be outputs of the action's contract (as Architect binds them: dotted names)."""
    known = flattened_outputs(action["contract"]["output"]["successSchema"])
    unknown = sorted(set(stub.outputs) - set(known))
    if unknown:
        raise ActionLookupError(f"the stub for data action {action['name']!r} answers {', '.join(unknown)}, which "
                                f"the action's output contract does not have (outputs: {', '.join(sorted(known))})")


class StubbedActions:
    """The runner's answer_action hook: stubbed actions answer from the scenario, the others from the service.

    With no service (live: false), calling an action the scenario does not stub is an error, so a scenario
    never reaches a real endpoint by accident.
    """

    def __init__(self, stubs: dict[str, Stub], *, live: bool):
        self.stubs = {action_key(name): stub for name, stub in stubs.items()}
        self.live = live

    def __call__(self, integration: str, name: str, action: dict, inputs: dict) -> ActionResult | None:
        stub = self.stubs.get(action_key(name))
        if stub is None:
            if self.live:
                return None
            raise ActionLookupError(f"data action {name!r} is called but the scenario neither stubs it (actions: "
                                    f"{{{name!r}: {{success: {{...}}}}}}) nor names a service to call (service: url)")
        check_stub(stub, action)
        if stub.status == "success":
            return ActionResult(status="success", outputs=dict(stub.outputs), raw_output=dict(stub.outputs),
                                steps=[Step("stub", True, {"outputs": dict(stub.outputs)})], error=None,
                                duration_ms=0.0, request=None)
        error = stub.message or f"stubbed {stub.status}"
        return ActionResult(status=stub.status, outputs={}, raw_output=None, steps=[Step("stub", False, error=error)],
                            error=error, duration_ms=0.0, request=None)
