"""Scenario suites: what a scenario costs over the bare flow run, and what --jobs buys with a live service.

1. Per scenario (stubbed, the sample suite's VIP caller): run_scenario (stub, run, expectation checks) against
   the baseline of run_flow with the same stubbed answer and no checks, in the same process. Loading the flow
   and the actions folder happens once per scenario file and is measured apart.
2. A suite of live scenarios against a local stub that answers /v1/context after 50 ms (a CRM-backed service
   on the network): the suite with --jobs 4 against the same suite run one scenario after the other.
"""

from __future__ import annotations

import copy
import statistics
import time
from pathlib import Path

from architect.runtime.flow import run_flow
from architect.testing.execute import conversation_id, prepare, run_scenario, run_scenarios
from architect.testing.scenarios import Service, load_scenario_file
from architect.testing.stubs import StubbedActions
from bench.flow_runner import CONTEXT
from bench.harness import timed_ms
from tests.runtime.stub_server import StubServer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "architect" / "scenarios" / "companion-sample-inbound-call.scenarios.yaml"
SERVICE_DELAY_S = 0.05
LIVE_SCENARIOS = 16
JOBS = 4


def _per_scenario(runs: int) -> tuple[float, float, float]:
    scenario_file = load_scenario_file(SAMPLE)
    ready = prepare(scenario_file)
    scenario = scenario_file.scenarios[0]

    def bare():
        run_flow(ready.flow, ani=scenario.call["ani"], conversation_id=conversation_id(scenario),
                 actions_dir=ready.registry, answer_action=StubbedActions(scenario.stubs, live=False))

    def checked():
        outcome = run_scenario(scenario, ready)
        assert outcome.status == "passed", outcome.report()

    timed_ms(bare, 20), timed_ms(checked, 20)  # warm-up: compiled expressions
    loading = statistics.median(timed_ms(lambda: prepare(scenario_file), max(runs // 20, 5)))
    return statistics.median(timed_ms(bare, runs)), statistics.median(timed_ms(checked, runs)), loading


def _live_suite(url: str) -> list:
    scenario_file = load_scenario_file(SAMPLE)
    live = scenario_file.scenarios[0]
    live.stubs, live.service = {}, Service(url, {"apiKey": "bench-key-0123456789abcdef"})
    live.expect = {"disposition": {"queue": "VIP Support"}}
    copies = []
    for index in range(LIVE_SCENARIOS):
        scenario = copy.copy(live)
        scenario.name, scenario.index = f"live {index}", index
        copies.append(scenario)
    scenario_file.scenarios = copies
    return [scenario_file]


def _suite_seconds(files, jobs: int) -> float:
    started = time.perf_counter()
    outcomes = run_scenarios(files, jobs=jobs)
    assert all(outcome.status == "passed" for outcome in outcomes), [o.report() for o in outcomes]
    return time.perf_counter() - started


def run(runs: int = 200) -> dict:
    """Median per-scenario times, and the live suite's wall time serial vs --jobs."""
    bare, checked, loading = _per_scenario(runs)
    with StubServer() as stub:
        stub.answer("POST", "/v1/context", json_body=CONTEXT, delay=SERVICE_DELAY_S)
        files = _live_suite(stub.url)
        _suite_seconds(files, 1)  # warm-up
        serial = statistics.median(_suite_seconds(files, 1) for _ in range(3))
        parallel = statistics.median(_suite_seconds(files, JOBS) for _ in range(3))
    print(f"per scenario (stubbed): run_flow {bare:.2f} ms, run_scenario with its checks {checked:.2f} ms "
          f"({checked / bare:.2f}x, median of {runs}); loading the flow and actions once per file {loading:.1f} ms; "
          f"live suite of {LIVE_SCENARIOS} scenarios, service answering "
          f"in {SERVICE_DELAY_S * 1000:.0f} ms: one at a time {serial:.2f} s, --jobs {JOBS} {parallel:.2f} s "
          f"({serial / parallel:.2f}x faster)")
    return {"bare_ms": bare, "scenario_ms": checked, "load_ms": loading, "serial_s": serial, "parallel_s": parallel,
            "speedup": serial / parallel}


if __name__ == "__main__":
    run()
