"""`python -m bench [NAME ...]`: run the named benchmarks (default: the quick ones)."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> module in bench/ exposing run(); the order is the order they run in.
BENCHMARKS = {
    "trace": "bench.trace",
    "context": "bench.context",
    "action_runtime": "bench.action_runtime",
    "jsonpath": "bench.jsonpath",
    "flow_runner": "bench.flow_runner",
    "customer": "bench.customer",
    "customer_http": "bench.customer_http",
    "customer_postgres": "bench.customer_postgres",
    "postgres_lookup": "bench.postgres_lookup",
    "crm_import": "bench.crm_import",
    "crm_import_fields": "bench.crm_import_fields",
    "postgres_import_fields": "bench.postgres_import_fields",
    "soak": "bench.soak",
    "overhead": "bench.overhead",
    "hot_path": "bench.hot_path",
    "own_work": "bench.own_work",
    "slow_clients": "bench.slow_clients",
    "scenarios": "bench.scenarios",
    "tracing": "bench.tracing",
}
DEFAULT = ["trace"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    # No `choices=`: with nargs="*", Python 3.11's argparse rejects an empty list against them.
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: {', '.join(DEFAULT)})")
    parser.add_argument("--preset", choices=("salesforce", "hubspot", "zendesk", "dynamics"),
                        help="customer_http: also load a CRM preset against its local stand-in")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    missed = []
    for name in args.names or DEFAULT:
        print(f"\n== {name} ==", flush=True)
        options = {"preset": args.preset} if args.preset and name == "customer_http" else {}
        result = importlib.import_module(BENCHMARKS[name]).run(**options)
        if isinstance(result, dict) and result.get("met") is False:
            missed.append(name)
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
