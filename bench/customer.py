"""POST /v1/customer over a 1,000,000-customer SQLite CRM against the bare-Flask baseline (issue 3 targets)."""

from __future__ import annotations

import json
import random
import sqlite3

from bench.crm_import import million_db
from bench.harness import compare_with_baseline
from bench.harness import report_ratio

TARGET_RATIO = 0.70
TARGET_P99_MS = 30.0
KNOWN = 1000
UNKNOWN = 1000


def request_bodies(db_path, seed: int = 7) -> list[str]:
    """Half known callers (random rows of the database), half unknown ones, in the ANI forms Architect sends."""
    connection = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        known = [row[0] for row in connection.execute(
            "SELECT phone FROM customers WHERE phone != '' ORDER BY random() LIMIT ?", (KNOWN,))]
    finally:
        connection.close()
    # 555-0200..1199 in area 312: valid numbers the demo generator never uses (it keeps 555 to 01xx).
    unknown = [f"+1312555{n:04d}" for n in range(200, 200 + UNKNOWN)]
    rng = random.Random(seed)
    forms = (lambda p: f"tel:{p}", lambda p: f"sip:{p}@10.0.0.1;user=phone", lambda p: p)
    return [json.dumps({"phone": rng.choice(forms)(phone)}) for phone in known + unknown]


def run(seconds: float = 10.0) -> dict:
    """Load /v1/customer and the baseline at 16 connections; print the figures against the targets."""
    db_path = million_db()
    bodies = request_bodies(db_path)
    service, baseline = compare_with_baseline(
        "/v1/customer", bodies, env={"COMPANION_SQLITE_PATH": str(db_path)}, seconds=seconds,
        label="POST /v1/customer (1M, sqlite)",
    )
    ratio = report_ratio(service, baseline)
    ok = ratio >= TARGET_RATIO and service.p99_ms < TARGET_P99_MS and service.errors == 0
    print(f"targets: ratio >= {TARGET_RATIO}, p99 < {TARGET_P99_MS} ms, no errors -> {'MET' if ok else 'MISSED'}")
    return {"ratio": ratio, "service": service, "baseline": baseline, "met": ok}


if __name__ == "__main__":
    run()
