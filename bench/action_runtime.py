"""Data-action runtime overhead: execute_action against a local stub vs. the bare HTTP call it makes."""

from __future__ import annotations

import statistics
from pathlib import Path

import requests

from architect.runtime.actions import execute_action, load_action
from bench.harness import timed_ms
from tests.runtime.stub_server import StubServer

EXAMPLES = Path(__file__).resolve().parents[1] / "tests" / "architect" / "genesys-examples" / "data-actions"
ACTION = EXAMPLES / "Get-On-Queue-Agent-Counts.json"
PATH = "/api/v2/analytics/queues/observations/query"
RESPONSE = {"results": [{"data": [{"qualifier": q, "stats": {"count": n}} for q, n in (("IDLE", 2), ("BUSY", 1))]}]}
TARGET_OVERHEAD_MS = 2.0  # the runner's budget is 20 ms per flow run; a flow calls a handful of actions


def run(runs: int = 500) -> dict:
    """Median time of a bare POST (baseline) and of execute_action on the same stub, in the same run."""
    action = load_action(ACTION)
    with StubServer() as stub, requests.Session() as session:
        stub.answer("POST", PATH, json_body=RESPONSE)

        def bare():
            session.post(stub.url + PATH, data=b'{"metrics": ["oOnQueueUsers"]}', timeout=5).json()

        def action_run():
            assert execute_action(action, {"queueId": "q-1"}, session=session, base_url=stub.url).status == "success"

        timed_ms(bare, 50), timed_ms(action_run, 50)  # warm-up: connections, template and path caches
        baseline = statistics.median(timed_ms(bare, runs))
        runtime = statistics.median(timed_ms(action_run, runs))
    overhead = runtime - baseline
    met = overhead < TARGET_OVERHEAD_MS
    print(f"bare POST {baseline:.2f} ms, execute_action {runtime:.2f} ms (median of {runs}): "
          f"overhead {overhead:.2f} ms, {runtime / baseline:.2f}x the bare call; target < {TARGET_OVERHEAD_MS} ms: "
          f"{'met' if met else 'MISSED'}")
    return {"baseline_ms": baseline, "runtime_ms": runtime, "overhead_ms": overhead, "met": met}
