"""Run scenarios: each call through its flow with its stubs or live service, checked against its expectations."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from architect.runtime.flow import (ActionLookupError, ActionRegistry, Flow, FlowLoadError, FlowResult,
                                    SimulationError, load_flow, read_options, run_flow)
from architect.runtime.flow.datatables import DataTableError, load_data_table
from architect.runtime.flow.registry import action_key
from architect.testing.expectations import Mismatch, check_expectations
from architect.testing.scenarios import Scenario, ScenarioFile
from architect.testing.stubs import StubbedActions

PASSED, FAILED, ERROR = "passed", "failed", "error"


@dataclass
class ScenarioOutcome:
    """What running one scenario gave: passed, failed (expectations missed) or error (the call did not run)."""

    scenario: Scenario
    status: str
    result: FlowResult | None = None
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    flow: Flow | None = None  # the parsed flow the call ran through (None when it could not be loaded)

    def report(self) -> str:
        """The lines explaining a failure or error (empty for a pass)."""
        if self.status == ERROR:
            return self.error or ""
        return "\n".join(mismatch.text() for mismatch in self.mismatches)


@dataclass
class PreparedFile:
    """A scenario file with its flow parsed and its actions folder indexed, shared read-only by its scenarios."""

    file: ScenarioFile
    flow: Flow | None
    registry: ActionRegistry | None
    error: str | None = None
    modules: list[Flow] = field(default_factory=list)  # the common modules callCommonModule runs


def prepare(scenario_file: ScenarioFile) -> PreparedFile:
    """Load the flow (with the options file's substitutions) and the actions folder once per scenario file."""
    try:
        substitutions = read_options(scenario_file.options) if scenario_file.options else {}
        flow = load_flow(scenario_file.flow, substitutions)
        registry = ActionRegistry(scenario_file.actions)
        modules = [load_flow(path, substitutions) for path in scenario_file.common_modules]
    except (FlowLoadError, ActionLookupError) as exc:
        return PreparedFile(scenario_file, None, None, str(exc))
    not_modules = [module.source for module in modules if module.kind != "commonModule"]
    if not_modules:
        return PreparedFile(scenario_file, None, None, f"{scenario_file.path}: commonModules: "
                                                       f"{', '.join(not_modules)}: not a commonModule flow")
    return PreparedFile(scenario_file, flow, registry, modules=modules)


def conversation_id(scenario: Scenario) -> str:
    """The scenario's Call.ConversationId: given, or stable per flow and scenario name (same ids every run)."""
    given = scenario.call.get("conversationId")
    return given or str(uuid.uuid5(uuid.NAMESPACE_URL, f"companion-scenario:{scenario.file.flow.name}:"
                                                       f"{scenario.name}"))


def unknown_stubs(scenario: Scenario, registry: ActionRegistry) -> list[str]:
    """The stubbed action names no action file in the folder has."""
    known = {action_key(name) for name in registry.names()}
    return [name for name in scenario.stubs if action_key(name) not in known]


def simulate_scenario(scenario: Scenario, flow: Flow, registry: ActionRegistry, modules=()) -> FlowResult:
    """Run the scenario's call; SimulationError (with .result) when the flow cannot be simulated further."""
    call = scenario.call
    service = scenario.service
    options = {key: call[source] for key, source in (("called_address", "calledAddress"),
                                                     ("remote_name", "remoteName")) if source in call}
    queue_ids = dict(call.get("queues") or {})
    if "currentQueue" in call:
        options["current_queue"] = {"name": call["currentQueue"], "id": queue_ids.get(call["currentQueue"])}
    for key, source in (("estimated_wait_time", "estimatedWaitTime"), ("position_in_queue", "positionInQueue"),
                        ("builtins", "builtins")):
        if source in call:
            options[key] = call[source]
    try:
        tables = {name: load_data_table(path) for name, path in (call.get("dataTables") or {}).items()}
    except DataTableError as exc:
        raise SimulationError(str(exc)) from None
    return run_flow(flow, ani=call["ani"], conversation_id=conversation_id(scenario), actions_dir=registry,
                    dtmf=list(call.get("dtmf") or []), credentials=service.credentials if service else {},
                    service_url=service.url if service else None,
                    participant_data=call.get("participantData") or {}, data_tables=tables,
                    unavailable_queues=call.get("unavailableQueues") or (), schedules=call.get("schedules") or {},
                    emergencies=call.get("emergencies") or (), queue_ids=queue_ids, now=call.get("now"),
                    answer_action=StubbedActions(scenario.stubs, live=service is not None), common_modules=modules,
                    **options)


def run_scenario(scenario: Scenario, prepared: PreparedFile) -> ScenarioOutcome:
    """Run one scenario and check its expectations."""
    started = time.perf_counter()
    if prepared.error:
        return ScenarioOutcome(scenario, ERROR, error=prepared.error)
    unknown = unknown_stubs(scenario, prepared.registry)
    if unknown:
        # A misspelt stub would otherwise go unnoticed: the real action runs live, or the run stops elsewhere.
        known = ", ".join(prepared.registry.names()) or "none"
        names = ", ".join(map(repr, unknown))
        folder = scenario.file.actions or "the actions folder (none given)"
        return ScenarioOutcome(scenario, ERROR, flow=prepared.flow,
                               error=f"{scenario.yaml_path}.actions: no data action named {names} in {folder}; "
                                     f"actions there: {known}")
    try:
        result = simulate_scenario(scenario, prepared.flow, prepared.registry, prepared.modules)
    except SimulationError as exc:
        return ScenarioOutcome(scenario, ERROR, result=exc.result, error=f"the call could not be simulated: {exc}",
                               seconds=time.perf_counter() - started, flow=prepared.flow)
    mismatches = check_expectations(scenario.expect, result)
    return ScenarioOutcome(scenario, FAILED if mismatches else PASSED, result=result, mismatches=mismatches,
                           seconds=time.perf_counter() - started, flow=prepared.flow)


def run_scenarios(scenario_files: list[ScenarioFile], *, select=None, jobs: int = 1,
                  on_outcome=None) -> list[ScenarioOutcome]:
    """Run the selected scenarios of the files (jobs > 1: in threads), outcomes in file and scenario order.

    Scenarios share nothing that changes: each call has its own runner, variables and HTTP session, and the
    parsed flows and action folders are only read, so running them side by side is safe.
    """
    prepared = {id(file): prepare(file) for file in scenario_files}
    chosen = [(scenario, prepared[id(file)]) for file in scenario_files for scenario in file.scenarios
              if select is None or select(scenario)]
    if jobs <= 1 or len(chosen) <= 1:
        outcomes = []
        for scenario, ready in chosen:
            outcomes.append(run_scenario(scenario, ready))
            if on_outcome:
                on_outcome(outcomes[-1])
        return outcomes
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="scenario") as pool:
        futures = [pool.submit(run_scenario, scenario, ready) for scenario, ready in chosen]
        outcomes = []
        for future in futures:  # reported in order, as each finishes behind the ones before it
            outcomes.append(future.result())
            if on_outcome:
                on_outcome(outcomes[-1])
        return outcomes
