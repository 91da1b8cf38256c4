"""POST /v1/context (the data action Architect calls) against the bare-Flask baseline, at 16 and 50 connections."""

from __future__ import annotations

import json
import random
import sqlite3

from bench.harness import compare_with_baseline
from bench.harness import demo_crm_path
from bench.harness import report_ratio

TARGET_RATIO = 0.70
CONNECTIONS = (16, 50)
# 555-0200..0299 in area 312: valid numbers the demo generator never uses (it keeps 555 to 01xx).
UNKNOWN = [f"+1312555{n:04d}" for n in range(200, 300)]


def request_bodies(seed: int = 11) -> list[str]:
    """One body per call: a conversation id, a participant id and an ANI in one of Architect's forms; about half
    the callers are in the demo CRM the service is started with."""
    connection = sqlite3.connect(demo_crm_path().resolve().as_uri() + "?mode=ro", uri=True)
    try:
        known = [row[0] for row in connection.execute("SELECT phone FROM customers WHERE phone != '' LIMIT 100")]
    finally:
        connection.close()
    rng = random.Random(seed)
    forms = (lambda p: f"tel:{p}", lambda p: f"sip:{p}@10.0.0.1;user=phone", lambda p: p)
    phones = known + UNKNOWN
    return [
        json.dumps({"conversationId": f"bench-conv-{n}", "participantId": f"p-{n % 7}",
                    "phone": rng.choice(forms)(rng.choice(phones))})
        for n in range(1000)
    ]


def run(seconds: float = 10.0) -> dict:
    """Load /v1/context and the baseline at 16 and at 50 connections; the ratio target holds at 16, p99 at 50
    is reported."""
    bodies = request_bodies()
    results = {}
    for connections in CONNECTIONS:
        service, baseline = compare_with_baseline(
            "/v1/context", bodies, connections=connections, seconds=seconds,
            label=f"POST /v1/context c={connections}",
        )
        results[connections] = {"ratio": report_ratio(service, baseline), "service": service, "baseline": baseline}
    print(f"p99 at 50 connections: {results[50]['service'].p99_ms:.2f} ms "
          f"(baseline {results[50]['baseline'].p99_ms:.2f} ms)")
    ok = results[16]["ratio"] >= TARGET_RATIO and all(r["service"].errors == 0 for r in results.values())
    print(f"targets: ratio at 16 connections >= {TARGET_RATIO}, no errors -> {'MET' if ok else 'MISSED'}")
    return {"ratio": results[16]["ratio"], "ratio_50": results[50]["ratio"],
            "p99_ms_50": results[50]["service"].p99_ms, "met": ok}


if __name__ == "__main__":
    run()
