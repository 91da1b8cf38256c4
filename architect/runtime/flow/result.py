"""What a simulated call produced: the steps taken, the audio, the participant data and how the call ended."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Disposition kinds.
DISCONNECTED = "disconnected"
TRANSFERRED_TO_QUEUE = "transferred_to_queue"
TRANSFERRED_TO_FLOW = "transferred_to_flow"
TRANSFERRED_TO_SECURE_FLOW = "transferred_to_secure_flow"
TRANSFERRED_TO_VOICEMAIL = "transferred_to_voicemail"
WORKFLOW_ENDED = "workflow_ended"  # a workflow's endWorkflow (or its error handling's)
WAITING_IN_QUEUE = "waiting_in_queue"  # an in-queue flow's start-up actions ran once; the call stays queued
OUT_OF_INPUT = "out_of_input"  # a menu wanted a digit and the scripted --dtmf list was used up
STOPPED = "stopped"  # the simulation could not go on (unsupported feature, definition error, step limit)


@dataclass
class Step:
    """One action (or flow event) in the order it ran."""

    kind: str  # the action key (callData, decision, ...) or an event (initialGreeting, errorHandling, menu, ...)
    path: str  # YAML path, e.g. /inboundCall/tasks/task[main]/actions[2]/decision
    name: str | None = None  # the action's `name:`
    detail: dict = field(default_factory=dict)


@dataclass
class Disposition:
    """How the call left the flow."""

    kind: str
    description: str
    queue: str | None = None
    flow: str | None = None


@dataclass
class FlowResult:
    """Everything one simulated call did; to_dict() is the `companion simulate --json` document."""

    flow: str
    flowType: str  # noqa: N815 - JSON field name
    participantData: dict = field(default_factory=dict)  # noqa: N815
    disposition: Disposition | None = None
    steps: list[Step] = field(default_factory=list)
    audio: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    variables: dict = field(default_factory=dict)  # final Flow.* and Task.* values, as Architect text
    durationMs: float = 0.0  # noqa: N815
    dataActionMs: float = 0.0  # noqa: N815 - time spent inside data actions (the service's share)
    # Data-action problems a real call would not have (service unreachable from here, credential refused,
    # a ${...} reference left unresolved): {"action", "path", "fault"}; `simulate --strict` exits 1 on any.
    localFaults: list[dict] = field(default_factory=list)  # noqa: N815

    def to_dict(self) -> dict:
        """A JSON-serialisable document."""
        return asdict(self)
