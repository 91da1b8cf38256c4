"""Flow, task and state variables plus the call built-ins, as the Scope the expression evaluator reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from architect.genesys.variables import OBJECT_TYPES as _OBJECT_TYPES
from architect.genesys.variables import declaration_type, is_collection  # noqa: F401 (re-exported)
from architect.runtime.flow.values import NOT_SET, ExpressionError, UnsupportedError, coerce

_SCOPES = ("task", "flow", "state", "common")


class UndeclaredVariableError(ExpressionError):
    """An expression reads a Task/Flow/State variable the flow never declares (Archy would not publish it)."""


def typed(value, type_name: str | None):
    """`value` converted to `type_name` (objects such as queues and JSON kept as they are)."""
    if type_name is None or type_name in _OBJECT_TYPES:
        return value
    return coerce(value, type_name)


@dataclass
class Variable:
    """A declared variable: its display name, Architect type and current value."""

    name: str
    type: str | None
    value: object = NOT_SET


@dataclass
class CallInfo:
    """What the simulated call brings: caller, called address, ids; in-queue values when the flow is one."""

    ani: str
    conversation_id: str
    called_address: object = NOT_SET
    remote_name: object = NOT_SET
    language: object = NOT_SET
    current_queue: object = NOT_SET  # a queue object {"name", "id"} for in-queue flows
    estimated_wait_time: object = NOT_SET  # in-queue flows: Call.EstimatedWaitTime, a timedelta
    position_in_queue: object = NOT_SET  # in-queue flows: Call.PositionInQueue, 1 = next
    builtins: dict = field(default_factory=dict)  # other read-only built-ins by name (Email.Message.subject, ...)
    queue_ids: dict = field(default_factory=dict)  # queue name -> id, for `lit: {name: X}` queues


class FlowScope:
    """Variables of the running flow (case-insensitive names) and the read-only call built-ins."""

    def __init__(self, call: CallInfo, builtins: dict, now: dt.datetime | None = None):
        self.call = call
        self.flow: dict[str, Variable] = {}
        self.task: dict[str, Variable] = {}
        self.common: dict[str, Variable] = {}  # the running common module's Common.* variables
        # Read-only built-ins by case-folded name (RC-VARS: Call.Ani, Call.ConversationId, ...).
        self.builtins = {name.casefold(): value for name, value in builtins.items()}
        self.now = now

    # -- the Scope protocol ------------------------------------------------------------------------------------
    def lookup(self, name: str):
        """The value of a variable or built-in; undeclared -> ExpressionError, unknown built-in -> UnsupportedError."""
        key = name.casefold()
        table = self._table(key)
        if table is not None and key in table:
            return table[key].value
        if key in self.builtins:
            return self.builtins[key]
        prefix = key.split(".", 1)[0]
        if prefix in _SCOPES and not (prefix == "flow" and self._looks_builtin(key)):
            raise UndeclaredVariableError(f"{name} is not declared (declare it under the flow's or the task's "
                                          "variables:, as Architect requires)")
        raise UnsupportedError(f"unsupported built-in variable {name}")

    def current_time(self) -> dt.datetime:
        """The simulated clock: fixed when given, else now (UTC)."""
        return self.now or dt.datetime.now(dt.timezone.utc)

    # -- declaration and assignment ----------------------------------------------------------------------------
    def _table(self, key: str) -> dict | None:
        prefix = key.split(".", 1)[0]
        if prefix == "task":
            return self.task
        if prefix in ("flow", "state"):
            return self.flow
        if prefix == "common":
            return self.common
        return None

    @staticmethod
    def _looks_builtin(key: str) -> bool:
        # Flow.* mixes declared variables with built-ins (Flow.HoldPrompt, Flow.StartDateTimeUtc, ...); an
        # undeclared Flow name starting with an upper-case built-in word is reported as an unsupported built-in.
        return key in ("flow.holdprompt", "flow.startdatetimeutc", "flow.flowid", "flow.flowname", "flow.version")

    def declare(self, name: str, type_name: str | None, value=NOT_SET) -> None:
        """Declare (or redeclare) a variable with its type and initial value."""
        table = self._table(name.casefold())
        if table is None:
            raise ExpressionError(f"{name}: only Task., Flow., State. and Common. variables can be declared")
        if value is NOT_SET and type_name and is_collection(type_name):
            value = []  # a collection without an initial value is empty, not NOT_SET
        table[name.casefold()] = Variable(name, type_name, typed(value, type_name))

    def assign(self, name: str, value, type_name: str | None = None) -> None:
        """Set a variable, converting to its declared type; an undeclared one is created with type_name.

        Archy creates variables named by typed updateData statements and output bindings (PCB's in-queue flow
        writes undeclared Task.* variables and publishes: docs/reference/archy-flows.md §4), so assignment declares.
        """
        key = name.casefold()
        table = self._table(key)
        if table is None:
            raise ExpressionError(f"{name} is read-only (only Task., Flow., State. and Common. variables can be set)")
        variable = table.get(key)
        if variable is None:
            self.declare(name, type_name, value)
            return
        variable.value = typed(value, variable.type or type_name)

    def type_of(self, name: str) -> str | None:
        """The declared type of a variable, if declared."""
        table = self._table(name.casefold())
        variable = table.get(name.casefold()) if table is not None else None
        return variable.type if variable else None

    def snapshot(self) -> dict:
        """Every variable's current value by its declared name (Flow first, then Task)."""
        return {v.name: v.value for v in (*self.flow.values(), *self.task.values())}
