"""POST /v1/trace against a bare-Flask baseline under the same gunicorn config (issue 2 targets)."""

from __future__ import annotations

import json

from bench.harness import compare_with_baseline
from bench.harness import report_ratio

TARGET_RATIO = 0.85
TARGET_P99_MS = 25.0


def run(seconds: float = 10.0) -> dict:
    """Run the comparison at 16 connections and print the figures against the targets."""
    bodies = [json.dumps({"conversationId": f"bench-conv-{n}", "participantId": f"p-{n % 7}"}) for n in range(1000)]
    service, baseline = compare_with_baseline("/v1/trace", bodies, seconds=seconds, label="POST /v1/trace")
    ratio = report_ratio(service, baseline)
    ok = ratio >= TARGET_RATIO and service.p99_ms < TARGET_P99_MS and service.errors == 0
    print(
        f"targets: ratio >= {TARGET_RATIO}, p99 < {TARGET_P99_MS} ms, no errors -> {'MET' if ok else 'MISSED'}"
    )
    return {"ratio": ratio, "service": service, "baseline": baseline, "met": ok}
