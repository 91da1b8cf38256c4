"""`companion crm import` of a CRM-shaped export (semicolons, renamed headers, two custom fields) against the
plain demo CSV of the same customers, in turns, in the same run: what the fields file, the header renames and
the delimiter detection cost."""

from __future__ import annotations

import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.crm_import import BENCH_DIR
from bench.harness import report_cpu_ratio

ROWS = 200_000
ROUNDS = 3
# What the export's extra work (a fields file, header renames, delimiter detection) may cost at most.
TARGET_RATIO = 1.25
FIELDS = """\
fields:
  loyaltyPoints: {type: integer, description: Loyalty points balance, minimum: 0}
  churnRisk: {type: boolean, description: At risk of leaving}
columns:
  Record ID: customerId
  First Name: firstName
  Last Name: lastName
  Email: email
  Phone Number: phone
  Loyalty Points: loyaltyPoints
  Churn Risk: churnRisk
"""
_RENAMED = {"customerId": "Record ID", "firstName": "First Name", "lastName": "Last Name", "email": "Email",
            "phone": "Phone Number"}


def export_columns() -> list[tuple[str, str | None]]:
    """(header, demo field or None for a custom field): every demo column, five renamed, then two custom ones."""
    from service.crm.demo import DEMO_HEADER

    return [(_RENAMED.get(name, name), name) for name in DEMO_HEADER] + [("Loyalty Points", None),
                                                                          ("Churn Risk", None)]


def files(rows: int = ROWS) -> tuple[Path, Path, Path]:
    """(plain demo CSV, CRM-shaped export of the same customers, fields file), written once, then reused."""
    from service.crm.demo import DEMO_HEADER
    from service.crm.demo import demo_records

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    columns = export_columns()
    plain, export, fields = (BENCH_DIR / f"customers-{rows}.csv", BENCH_DIR / f"export-{rows}-v2.csv",
                             BENCH_DIR / "fields.yaml")
    fields.write_text(FIELDS, encoding="utf-8")
    if not plain.exists() or not export.exists():
        print(f"writing {rows:,} customers twice to {BENCH_DIR} (once) ...", flush=True)
        rng = random.Random(7)
        with plain.open("w", encoding="utf-8", newline="") as a, export.open("w", encoding="utf-8", newline="") as b:
            plain_writer, export_writer = csv.writer(a), csv.writer(b, delimiter=";")
            plain_writer.writerow(DEMO_HEADER)
            export_writer.writerow([header for header, _ in columns])
            for record in demo_records(rows):
                plain_writer.writerow([record[name] for name in DEMO_HEADER])
                extra = {"Loyalty Points": str(rng.randint(0, 5000)), "Churn Risk": rng.choice(("Yes", "No"))}
                export_writer.writerow([record[name] if name else extra[header] for header, name in columns])
    return plain, export, fields


def import_seconds(csv_path: Path, *extra: str) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of the real CLI importing csv_path into a new database. CPU time (the command
    and its worker processes) is what other work on a shared machine disturbs least."""
    with tempfile.TemporaryDirectory(prefix="companion-import-") as directory:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        completed = subprocess.run(
            [str(Path(sys.executable).with_name("companion")), "crm", "import", str(csv_path), "--quiet",
             "--db", str(Path(directory) / "crm.sqlite3"), *extra],
            capture_output=True, text=True, check=False,
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"import failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def run(rows: int = ROWS, rounds: int = ROUNDS) -> dict:
    """Import both files `rounds` times in turns (load from elsewhere lands on both); compare the best CPU times."""
    plain, export, fields = files(rows)
    plain_runs, export_runs = [], []
    for _ in range(rounds):
        plain_runs.append(import_seconds(plain))
        export_runs.append(import_seconds(export, "--fields", str(fields)))
    return report_cpu_ratio(rows, ("plain demo CSV (baseline)", plain_runs),
                            ("export: ; renamed, 2 custom fields", export_runs), TARGET_RATIO)


if __name__ == "__main__":
    run()
