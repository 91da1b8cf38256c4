"""Translation-map JSONPath: our Jayway evaluation per path vs. jsonpath-ng and a hand-written lookup, same run."""

from __future__ import annotations

import statistics

from jsonpath_ng.ext import parse as parse_jsonpath_ng

from architect.runtime.jsonpath import evaluate
from bench.harness import timed_ms

TARGET_US = 50.0  # per typical path, compile cache warm (the runtime evaluates path text; compiles are cached)
DOCUMENT = {
    "id": "conv-1",
    "queue": {"id": "q-1", "name": "VIP"},
    "results": [{"data": [{"qualifier": q, "stats": {"count": n}} for q, n in (("IDLE", 2), ("BUSY", 1))]}],
    "participants": [{"purpose": p, "userId": f"u-{n}", "attributes": {"tier": "gold"}}
                     for n, p in enumerate(("customer", "agent", "acd", "agent", "external"))],
}
# Typical translation-map paths: Genesys's own examples use definite lookups, deep scans, filters and size().
PATHS = {
    "$.queue.name": lambda d: d["queue"]["name"],
    "$.results[0].data..qualifier": lambda d: [x["qualifier"] for x in d["results"][0]["data"]],
    "$.participants[?(@.purpose=='agent')].userId":
        lambda d: [p["userId"] for p in d["participants"] if p.get("purpose") == "agent"],
    "$.participants.size()": lambda d: len(d["participants"]),
}
RUNS = 2000


def _median_us(call) -> float:
    timed_ms(call, 200)  # warm-up: compile caches, allocator
    return statistics.median(timed_ms(call, RUNS)) * 1000.0


def run() -> dict:
    """Median µs per evaluation of each path: hand-written lookup (floor), jsonpath-ng (old layer), ours."""
    worst = 0.0
    rows = {}
    for path, by_hand in PATHS.items():
        floor = _median_us(lambda: by_hand(DOCUMENT))
        ours = _median_us(lambda: evaluate(path, DOCUMENT))
        ng_path = path.replace(".size()", "")  # jsonpath-ng has no size(); the list lookup is its share
        ng_expression = parse_jsonpath_ng(ng_path)
        ng = _median_us(lambda: [m.value for m in ng_expression.find(DOCUMENT)])
        worst = max(worst, ours)
        rows[path] = {"by_hand_us": floor, "jsonpath_ng_us": ng, "ours_us": ours}
        print(f"{path:48} by hand {floor:6.2f} µs  jsonpath-ng {ng:6.2f} µs  ours {ours:6.2f} µs "
              f"({ours / ng:4.2f}x jsonpath-ng)")
    met = worst < TARGET_US
    print(f"slowest typical path {worst:.2f} µs; target < {TARGET_US:.0f} µs: {'met' if met else 'MISSED'}")
    return {"paths": rows, "worst_us": worst, "met": met}
