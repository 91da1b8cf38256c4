"""Run Archy call flows locally: load (with substitutions), interpret, report path, audio, participant data."""

from __future__ import annotations

from architect.runtime.flow.errors import SimulationError, UnsupportedFeatureError
from architect.runtime.flow.loader import Flow, FlowLoadError, load_flow, parse_flow, read_options, substitute
from architect.runtime.flow.registry import ActionLookupError, ActionRegistry
from architect.runtime.flow.result import Disposition, FlowResult, Step
from architect.runtime.flow.runner import Runner
from architect.runtime.flow.scope import CallInfo

__all__ = [
    "ActionLookupError",
    "ActionRegistry",
    "CallInfo",
    "Disposition",
    "Flow",
    "FlowLoadError",
    "FlowResult",
    "Runner",
    "SimulationError",
    "Step",
    "UnsupportedFeatureError",
    "load_flow",
    "parse_flow",
    "read_options",
    "run_flow",
    "substitute",
]


def run_flow(flow: Flow, *, ani: str, conversation_id: str, actions_dir=None, **options) -> FlowResult:
    """Simulate one call through `flow`; options are Runner's (dtmf, credentials, service_url, ...)."""
    queue_ids = options.pop("queue_ids", None) or {}
    call = CallInfo(ani=ani, conversation_id=conversation_id, queue_ids=queue_ids,
                    **{k: options.pop(k) for k in ("called_address", "remote_name", "current_queue",
                                                   "estimated_wait_time", "position_in_queue", "builtins")
                       if k in options})
    registry = actions_dir if isinstance(actions_dir, ActionRegistry) else ActionRegistry(actions_dir)
    return Runner(flow, registry=registry, call=call, **options).run()
