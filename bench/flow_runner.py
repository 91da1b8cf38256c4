"""Flow runner overhead: the sample inbound flow end to end vs. the bare execute_action of the action it calls.

The data action is answered at once by a local stub (tests/runtime/stub_server.py), so what is left is the runner:
expressions, variables, participant data, steps. Two figures: the run minus the time measured inside the data action
(the target: under 20 ms per run), and the run against a bare execute_action of the same action (the baseline).
"""

from __future__ import annotations

import statistics
from pathlib import Path

import requests

from architect.runtime.actions import execute_action, load_action
from architect.runtime.flow import ActionRegistry, load_flow, read_options, run_flow
from bench.harness import timed_ms
from tests.runtime.stub_server import StubServer

ROOT = Path(__file__).resolve().parents[1]
FLOW = ROOT / "architect" / "flows" / "companion-sample-inbound-call.yaml"
OPTIONS = ROOT / "architect" / "flows" / "options.example.yaml"
ACTIONS = ROOT / "architect" / "data-actions"
ACTION = ACTIONS / "Companion-Get-Call-Context.custom.json"
CONVERSATION_ID = "6f1c2b9e-8d7a-4e3b-9c1d-0a2b3c4d5e6f"
# What /v1/context answers for the demo VIP caller (service/crm/demo.py), as the stub's fixed answer.
CONTEXT = {
    "traceId": "23b44cefdb91beb5e94d4072a3a819ec", "spanId": "b8c84392f6523147",
    "traceparent": "00-23b44cefdb91beb5e94d4072a3a819ec-b8c84392f6523147-01", "ddTraceId": "16811163845160081900",
    "ddTraceIdHigh": "23b44cefdb91beb5", "ddSpanId": "13314966596797739335", "found": True, "degraded": False,
    "source": "sqlite", "customerId": "CUST-000001", "firstName": "Ada", "lastName": "Lovelace",
    "displayName": "Ada Lovelace", "email": "ada.lovelace@example.com", "phone": "+13175550116",
    "accountNumber": "ACC-10000001", "tier": "platinum", "segment": "enterprise", "preferredLanguage": "en-US",
    "priority": 95, "vip": True, "openCases": 1, "lastContactAt": "2025-01-15T14:30:00Z",
}
TARGET_MS = 20.0


def run(runs: int = 300) -> dict:
    """Median of: bare execute_action, the flow run, the flow run minus its data-action time, load + run."""
    flow = load_flow(FLOW, read_options(OPTIONS))
    registry = ActionRegistry(ACTIONS)
    action = load_action(ACTION)
    credentials = {"apiKey": "bench-key-0123456789abcdef"}
    runner_only: list[float] = []
    with StubServer() as stub, requests.Session() as session:
        stub.answer("POST", "/v1/context", json_body=CONTEXT)
        inputs = {"conversationId": CONVERSATION_ID, "phone": "tel:+13175550116"}

        def bare():
            assert execute_action(action, inputs, credentials, session=session, base_url=stub.url).status == "success"

        def simulate(loaded=flow):
            result = run_flow(loaded, ani="tel:+13175550116", conversation_id=CONVERSATION_ID, actions_dir=registry,
                              service_url=stub.url, credentials=credentials, session=session)
            assert result.disposition.queue == "VIP Support"
            runner_only.append(result.durationMs - result.dataActionMs)

        def load_and_simulate():
            simulate(load_flow(FLOW, read_options(OPTIONS)))

        timed_ms(bare, 30), timed_ms(simulate, 30)  # warm-up: connections, compiled expressions and templates
        baseline = statistics.median(timed_ms(bare, runs))
        runner_only.clear()
        flow_run = statistics.median(timed_ms(simulate, runs))
        without_service = statistics.median(runner_only)
        with_load = statistics.median(timed_ms(load_and_simulate, runs // 3))
    met = without_service < TARGET_MS
    print(f"bare execute_action {baseline:.2f} ms; sample flow run {flow_run:.2f} ms ({flow_run / baseline:.2f}x the "
          f"bare action, +{flow_run - baseline:.2f} ms); runner alone (run minus data-action time) "
          f"{without_service:.2f} ms; load + run {with_load:.2f} ms (median of {runs}); target runner < "
          f"{TARGET_MS:g} ms: {'met' if met else 'MISSED'}")
    return {"baseline_ms": baseline, "flow_ms": flow_run, "runner_ms": without_service, "load_and_run_ms": with_load,
            "met": met}


if __name__ == "__main__":
    run()
