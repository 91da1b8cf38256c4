"""Writing a value into a flow variable from an action, with the runtime's failure for a value that does not fit."""

from __future__ import annotations

from architect.runtime.flow.errors import FlowFailure
from architect.runtime.flow.errors import SimulationError
from architect.runtime.flow.values import EvaluationError
from architect.runtime.flow.values import ExpressionError


def assign(runner, name, value, type_name, path):
    """Set variable `name` to `value` (of `type_name`): a value the variable cannot hold takes the action's
    failure path (FlowFailure); a malformed name or expression stops the simulation (SimulationError)."""
    try:
        runner.scope.assign(name, value, type_name)
    except EvaluationError as exc:
        raise FlowFailure(str(exc), path) from None
    except ExpressionError as exc:
        raise SimulationError(str(exc), path) from None
