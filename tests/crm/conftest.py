"""Helpers for the CRM tests: valid CSV rows to vary, and CSV files written the way users write them."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

HEADER = [
    "customerId", "firstName", "lastName", "email", "phone", "accountNumber", "tier", "segment",
    "preferredLanguage", "priority", "vip", "openCases", "lastContactAt",
]


def customer(n: int = 1, **overrides) -> dict[str, str]:
    """A valid CSV row for customer n (distinct id, phone, e-mail and account number per n)."""
    values = {
        "customerId": f"C-{n:07d}",
        "firstName": "Grace",
        "lastName": f"Hopper{n}",
        "email": f"grace{n}@example.com",
        # 317-2xx-xxxx: valid Indianapolis numbers, one per n.
        "phone": f"+1317{200 + n // 10_000:03d}{n % 10_000:04d}",
        "accountNumber": f"A{n:08d}",
        "tier": "gold",
        "segment": "consumer",
        "preferredLanguage": "en-US",
        "priority": "50",
        "vip": "false",
        "openCases": "2",
        "lastContactAt": "2024-05-01T12:00:00Z",
    }
    values.update(overrides)
    return values


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """A UTF-8 CSV file with the header and the rows (missing values empty)."""
    header = header or HEADER
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path


def table(db_path: Path) -> list[tuple]:
    """Every customers row, ordered by customerId, read with plain sqlite3."""
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute("SELECT * FROM customers ORDER BY customerId").fetchall()
    finally:
        connection.close()


def use_single_column_indexes(path: Path) -> None:
    """Give the SQLite CRM at `path` the lookup indexes files had before the ordered ones (one column each),
    so a lookup sorts its matches again, as in a file imported by an older version."""
    connection = sqlite3.connect(path)
    with connection:
        for column in ("phone", "emailKey", "accountNumber"):
            connection.execute(f"DROP INDEX customers_{column}_latest")
            connection.execute(f"CREATE INDEX customers_{column} ON customers ({column})")
    connection.close()
