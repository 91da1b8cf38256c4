"""`companion crm import --database-url` of the million demo customers, without and with two custom fields
(a fields file: an integer and a boolean column more), in turns, into new databases of one durable
PostgreSQL server in the same run: what custom fields cost the PostgreSQL import."""

from __future__ import annotations

import csv
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.crm_import import BENCH_DIR
from bench.crm_import import ROWS
from bench.crm_import import million_csv
from bench.harness import report_cpu_ratio
from tests.postgres_server import PostgresServer

ROUNDS = 2
# Two more columns of 17 to validate and COPY: allowed to cost a little more, not much more.
TARGET_RATIO = 1.25
FIELDS = """\
fields:
  loyaltyPoints: {type: integer, description: Loyalty points balance, minimum: 0}
  churnRisk: {type: boolean, description: At risk of leaving}
"""


def files(rows: int = ROWS) -> tuple[Path, Path, Path]:
    """(plain demo CSV, the same rows with loyaltyPoints and churnRisk columns, fields file), written once."""
    plain = million_csv(rows)
    custom, fields = BENCH_DIR / f"customers-{rows}-custom.csv", BENCH_DIR / "postgres-fields.yaml"
    fields.write_text(FIELDS, encoding="utf-8")
    if not custom.exists():
        print(f"writing {rows:,} customers with custom fields to {custom} (once) ...", flush=True)
        rng = random.Random(11)
        partial = custom.with_suffix(".partial")
        with plain.open(encoding="utf-8", newline="") as source, partial.open("w", encoding="utf-8", newline="") as out:
            reader, writer = csv.reader(source), csv.writer(out)
            writer.writerow([*next(reader), "loyaltyPoints", "churnRisk"])
            for row in reader:
                writer.writerow([*row, str(rng.randint(0, 5000)), rng.choice(("yes", "no"))])
        partial.replace(custom)
    return plain, custom, fields


def import_cpu(server: PostgresServer, database: str, csv_path: Path, *extra: str) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of the import, its workers and the server) of the real CLI importing
    csv_path into a new database."""
    url = server.create_database(database)
    before, server_before = resource.getrusage(resource.RUSAGE_CHILDREN), server.cpu_seconds()
    started = time.perf_counter()
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("companion")), "crm", "import", str(csv_path), "--quiet",
         "--database-url", url, *extra],
        capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - started
    after, server_after = resource.getrusage(resource.RUSAGE_CHILDREN), server.cpu_seconds()
    if completed.returncode != 0:
        raise RuntimeError(f"import failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + (server_after - server_before)
    return seconds, cpu


def run(rows: int = ROWS, rounds: int = ROUNDS) -> dict:
    """Import both files `rounds` times in turns (load from elsewhere lands on both); compare the best CPU times."""
    plain, custom, fields = files(rows)
    plain_runs, custom_runs = [], []
    # durable: fsync and full-page writes on, as on a real server (the tests turn them off).
    with PostgresServer(durable=True) as server:
        for turn in range(rounds):
            plain_runs.append(import_cpu(server, f"plain_{turn}", plain))
            custom_runs.append(import_cpu(server, f"custom_{turn}", custom, "--fields", str(fields)))
    return report_cpu_ratio(rows, ("built-in fields (baseline)", plain_runs), ("+ 2 custom fields", custom_runs),
                            TARGET_RATIO)


if __name__ == "__main__":
    run()
