"""Why a simulation stopped, and the control signals the runner passes between actions."""

from __future__ import annotations

from architect.runtime.flow.result import OUT_OF_INPUT, Disposition


class SimulationError(Exception):
    """The flow cannot be simulated further: an unsupported action/function/built-in, a definition error, the step
    limit. Carries the YAML path and the partial result (steps so far)."""

    def __init__(self, message: str, path: str | None = None):
        self.reason = message
        self.path = path
        self.result = None  # the FlowResult so far, set by the runner
        super().__init__(f"{path}: {message}" if path else message)


class UnsupportedFeatureError(SimulationError):
    """The flow uses an action, function or built-in this runtime does not implement."""


class FlowFailure(Exception):
    """A runtime error Architect sends to the flow's error handling (NOT_SET read, bad conversion, ...)."""

    def __init__(self, message: str, path: str):
        self.reason = message
        self.path = path
        super().__init__(f"{path}: {message}")


class CallEnded(Exception):
    """The call left the flow (disconnect, transfer, ...)."""

    def __init__(self, disposition):
        self.disposition = disposition


class Jump(Exception):
    """jumpToTask / jumpToMenu: leave the current task or menu for another (no return)."""

    def __init__(self, ref: str, path: str):
        self.ref = ref
        self.path = path


class LoopNext(Exception):
    """loopNext: start the enclosing loop's next iteration."""


class LoopExit(Exception):
    """loopExit: leave the enclosing loop."""


class TaskEnded(Exception):
    """endTask: the current (called) task ends through the named output path."""

    def __init__(self, output_path: str | None):
        self.output_path = output_path


def out_of_input(name: str, where: str = "menu") -> CallEnded:
    """The scripted DTMF list is used up where a menu or a collectInput waits for the caller."""
    return CallEnded(Disposition(OUT_OF_INPUT, f"ran out of scripted input at {where} {name!r} "
                                               "(give more digits with --dtmf)"))
