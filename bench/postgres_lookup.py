"""What the PostgreSQL backend adds to a lookup, in process: PostgresBackend.lookup against the bare query.

`python -m bench postgres_lookup`. A throwaway PostgreSQL server with the demo customers; three ways to find
the VIP caller by phone take turns, 7 rounds of 2,000 calls, best round each (the least disturbed by the
rest of the host): the bare psycopg query on one open connection (the baseline: what any client pays),
PostgresBackend.lookup (pool, breaker, deadline watchdog, record building), and SqliteBackend.lookup for
scale. The backend's overhead is the difference to the baseline, measured in the same run.
"""

from __future__ import annotations

import time

import psycopg

from bench.harness import demo_crm_path
from service.config import load_settings
from service.crm.demo import DEMO_TIERS
from service.crm.demo import VIP_PHONE
from service.crm.demo import demo_rows
from service.crm.importer import RowRules
from service.crm.postgres import PostgresBackend
from service.crm.postgres_import import import_rows_postgres
from service.crm.postgres_schema import SELECT_BY_KEY
from service.crm.sqlite import SqliteBackend
from tests.postgres_server import PostgresServer

CALLS = 2000
ROUNDS = 7
# The backend's own work per lookup, above the bare query: a pool checkout, the breaker, the watchdog entry.
TARGET_OVERHEAD_US = 150.0


def _per_call_us(call, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e6


def run(calls: int = CALLS, rounds: int = ROUNDS) -> dict:
    keys = {"phone": VIP_PHONE}
    with PostgresServer() as server:
        url = server.create_database("crm")
        import_rows_postgres(demo_rows(), url, RowRules(DEMO_TIERS, "US"), on_reject=print)
        backend = PostgresBackend(load_settings({"COMPANION_DEMO": "1", "COMPANION_CRM_BACKEND": "postgres",
                                                 "COMPANION_DATABASE_URL": url}))
        sqlite = SqliteBackend(demo_crm_path())
        connection = psycopg.connect(url, autocommit=True)
        try:
            ways = {
                "bare psycopg query (baseline)": lambda: connection.execute(
                    SELECT_BY_KEY["phone"], (VIP_PHONE,)).fetchone(),
                "PostgresBackend.lookup": lambda: backend.lookup(keys),
                "SqliteBackend.lookup": lambda: sqlite.lookup(keys),
            }
            for way in ways.values():  # warm: prepared statements, pool, pages
                _per_call_us(way, 200)
            best = {name: float("inf") for name in ways}
            for _ in range(rounds):
                for name, way in ways.items():
                    best[name] = min(best[name], _per_call_us(way, calls))
        finally:
            connection.close()
            backend.close()
            sqlite.close()
    for name, us in best.items():
        print(f"{name:<32} {us:8.1f} us per lookup")
    overhead = best["PostgresBackend.lookup"] - best["bare psycopg query (baseline)"]
    met = overhead < TARGET_OVERHEAD_US
    print(f"{'backend overhead':<32} {overhead:8.1f} us  (target < {TARGET_OVERHEAD_US:.0f} us -> "
          f"{'MET' if met else 'MISSED'})")
    return {"best_us": best, "overhead_us": overhead, "met": met}


if __name__ == "__main__":
    run()
