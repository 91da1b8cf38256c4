"""`companion crm import --database-url` against a real PostgreSQL server: the SQLite import's validation
and report, replace and upsert, lookups during an import, a concurrent import, Ctrl-C and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from service.cli import cli
from service.config import load_settings
from service.crm.importer import ImportFileError
from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.postgres import PostgresBackend
from service.crm.postgres_import import IMPORT_LOCK_KEY
from service.crm.postgres_import import import_csv_postgres
from tests.crm.conftest import customer
from tests.crm.conftest import table
from tests.crm.conftest import write_csv

COMPANION = str(Path(sys.executable).with_name("companion"))
RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
EXISTING = 2_000
BIG = 15_000
_NAMES = iter(range(1_000_000))


@pytest.fixture
def url(postgres):
    """A new, empty database for each test."""
    return postgres.create_database(f"import_{next(_NAMES)}")


def rows_of(url: str) -> list[tuple]:
    """Every customers row, ordered by customerId, with vip as 0/1 like SQLite's."""
    with psycopg.connect(url) as connection:
        rows = connection.execute('SELECT * FROM customers ORDER BY "customerId" COLLATE "C"').fetchall()
    return [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows]


def run_cli(*args: str, env: dict | None = None):
    """`companion crm import ARGS` in this process (the real process is run where signals matter)."""
    return CliRunner().invoke(cli, ["crm", "import", *args], env=env or {}, catch_exceptions=False)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """The EXISTING customers with a new segment, then BIG - EXISTING new ones: an import that takes seconds."""
    return write_csv(tmp_path_factory.mktemp("big") / "big.csv", [customer(n, segment="after") for n in range(BIG)])


@pytest.fixture
def existing(url, tmp_path):
    """url holding EXISTING customers of segment "before"."""
    rows = [customer(n, segment="before") for n in range(EXISTING)]
    import_csv_postgres(write_csv(tmp_path / "first.csv", rows), url, RULES, on_reject=pytest.fail)
    return url


def test_the_same_file_gives_the_same_rows_and_the_same_report_as_sqlite(url, tmp_path):
    rows = [customer(1), customer(2, phone="(317) 555-0120", vip="YES", email="Mixed@Example.COM"),
            customer(3, tier="bronze"), customer(4, lastContactAt="2024-05-01T12:00:00+02:00"),
            customer(1, firstName="again"), customer(5, priority="101"), customer(6, displayName="Dr. Six")]
    path = write_csv(tmp_path / "mixed.csv", rows)
    db = tmp_path / "crm.sqlite3"
    sqlite_rejects, postgres_rejects = [], []
    sqlite_report = import_csv(path, db, RULES, on_reject=sqlite_rejects.append)
    postgres_report = import_csv_postgres(path, url, RULES, on_reject=postgres_rejects.append)
    assert postgres_rejects == sqlite_rejects and len(sqlite_rejects) == 3
    assert (postgres_report.imported, postgres_report.rejected, postgres_report.created) == (
        sqlite_report.imported, sqlite_report.rejected, sqlite_report.created) == (4, 3, True)
    assert rows_of(url) == table(db)


def test_an_import_replaces_every_customer_and_upsert_keeps_the_others(url, tmp_path):
    first = write_csv(tmp_path / "a.csv", [customer(n, segment="a") for n in range(1, 6)])
    second = write_csv(tmp_path / "b.csv", [customer(n, segment="b") for n in range(4, 9)])
    import_csv_postgres(first, url, RULES, on_reject=pytest.fail)
    report = import_csv_postgres(second, url, RULES, on_reject=pytest.fail)
    assert (report.imported, report.created) == (5, False)
    assert [(row[0], row[8]) for row in rows_of(url)] == [(f"C-{n:07d}", "b") for n in range(4, 9)]
    import_csv_postgres(first, url, RULES, on_reject=pytest.fail, upsert=True)
    assert [(row[0], row[8]) for row in rows_of(url)] == [
        (f"C-{n:07d}", "a" if n <= 5 else "b") for n in range(1, 9)]


def test_a_file_without_valid_rows_changes_nothing(existing, tmp_path):
    before = rows_of(existing)
    rejects = []
    report = import_csv_postgres(write_csv(tmp_path / "bad.csv", [customer(1, tier="bronze")]), existing, RULES,
                                 on_reject=rejects.append)
    assert (report.imported, report.rejected) == (0, 1) and rows_of(existing) == before


def test_a_bad_header_is_a_whole_file_error_and_changes_nothing(existing, tmp_path):
    before = rows_of(existing)
    bad = tmp_path / "bad.csv"
    bad.write_text("customerId,nickname\nC-1,x\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="unknown column"):
        import_csv_postgres(bad, existing, RULES, on_reject=pytest.fail)
    assert rows_of(existing) == before


def test_a_second_import_at_the_same_time_is_refused(existing, tmp_path):
    with psycopg.connect(existing, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (IMPORT_LOCK_KEY,))
        with pytest.raises(ImportFileError, match="is being written by another import"):
            import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1)]), existing, RULES, on_reject=pytest.fail)


def test_an_import_into_another_schema_version_or_a_foreign_table_is_refused(url, postgres, tmp_path):
    path = write_csv(tmp_path / "a.csv", [customer(1)])
    import_csv_postgres(path, url, RULES, on_reject=pytest.fail)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("UPDATE companion_crm_schema SET version = 7")
    with pytest.raises(ImportFileError, match="has CRM schema version 7; this version imports version 2"):
        import_csv_postgres(path, url, RULES, on_reject=pytest.fail)
    foreign = postgres.create_database(f"foreign_{next(_NAMES)}")
    with psycopg.connect(foreign, autocommit=True) as connection:
        connection.execute("CREATE TABLE customers (id integer)")
    with pytest.raises(ImportFileError, match="not a companion CRM"):
        import_csv_postgres(path, foreign, RULES, on_reject=pytest.fail)


def test_an_unreachable_database_is_a_clear_error():
    with pytest.raises(ImportFileError, match=r"cannot connect to 127\.0\.0\.1:1/crm: .*Connection refused"):
        import_csv_postgres(Path("unused.csv"), "postgresql://u:pw@127.0.0.1:1/crm", RULES, on_reject=pytest.fail)


def test_lookups_during_an_import_see_the_old_customers_or_the_new_never_a_mix(existing, big_csv):
    backend = PostgresBackend(load_settings({"COMPANION_DEMO": "1", "COMPANION_CRM_BACKEND": "postgres",
                                             "COMPANION_DATABASE_URL": existing}))
    stop = threading.Event()
    failures: list[str] = []
    segments: list[str] = []
    snapshots: set[tuple[int, int]] = set()

    def look_up():
        n = 0
        while not stop.is_set():
            n = (n + 7) % EXISTING
            result = backend.lookup({"phone": customer(n)["phone"]})
            if not result.found or result.degraded:
                failures.append(f"customer {n}: {result.outcome} {result.reason}")
            else:
                segments.append(result.record["segment"])

    def count():
        with psycopg.connect(existing, autocommit=True) as connection:
            while not stop.is_set():
                snapshots.add(connection.execute(
                    "SELECT count(*), count(*) FILTER (WHERE segment = 'after') FROM customers").fetchone())

    threads = [threading.Thread(target=look_up) for _ in range(3)] + [threading.Thread(target=count)]
    for thread in threads:
        thread.start()
    try:
        report = import_csv_postgres(big_csv, existing, RULES, on_reject=pytest.fail)
    finally:
        time.sleep(0.2)  # a few lookups after the swap
        stop.set()
        for thread in threads:
            thread.join()
        backend.close()
    assert report.imported == BIG
    assert failures == []
    assert snapshots <= {(EXISTING, 0), (BIG, BIG)} and (BIG, BIG) in snapshots
    assert segments[0] == "before" and segments[-1] == "after"
    # Once a lookup has seen the new customers, none sees the old ones again.
    assert "before" not in segments[segments.index("after"):]


def _wait_for_copy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until the import's connection is streaming rows (COPY), as pg_stat_activity shows it."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as connection:
        while time.monotonic() < deadline and process.poll() is None:
            copying = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'architect-companion' "
                "AND query LIKE 'COPY %%' AND state = 'active'").fetchone()[0]
            if copying:
                return
            time.sleep(0.02)
    raise AssertionError("the import never started its COPY")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGKILL])
def test_ctrl_c_or_kill_midway_leaves_the_database_as_it_was(existing, big_csv, stop_signal):
    before = rows_of(existing)
    process = subprocess.Popen([COMPANION, "crm", "import", str(big_csv), "--database-url", existing],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for_copy(existing, process)
        os.killpg(process.pid, stop_signal)  # Ctrl-C at a terminal signals the whole process group
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if stop_signal == signal.SIGINT:
        assert process.returncode == 130 and "interrupted" in stderr and "is unchanged" in stderr
        assert "Traceback" not in stderr
    assert rows_of(existing) == before
    # Nothing left behind, no lock held: the next import goes through.
    small = write_csv(big_csv.with_name(f"small-{stop_signal}.csv"), [customer(1, segment="next")])
    assert import_csv_postgres(small, existing, RULES, on_reject=pytest.fail).imported == 1
    assert [row[8] for row in rows_of(existing)] == ["next"]


def test_cli_imports_into_the_database_url_and_reports_like_for_sqlite(url, tmp_path):
    path = write_csv(tmp_path / "a.csv", [customer(1), customer(2, tier="bronze"), customer(3)])
    result = run_cli(str(path), "--database-url", url)
    assert result.exit_code == 0, result.stderr
    target = url.split("@", 1)[1]
    assert result.stdout.startswith(f"2 customers imported into {target} (new database), 1 rows rejected, ")
    assert "line 3: tier 'bronze' is not one of standard, silver, gold, platinum" in result.stderr
    again = run_cli(str(path), env={"COMPANION_CRM_BACKEND": "postgres", "COMPANION_DATABASE_URL": url})
    assert again.exit_code == 0 and f"into {target} (every customer replaced)" in again.stdout
    upsert = run_cli(str(path), "--upsert", "--database-url", url)
    assert upsert.exit_code == 0 and "replaced" not in upsert.stdout
    assert len(rows_of(url)) == 2


def test_cli_errors_name_the_database_and_never_the_password(tmp_path):
    path = write_csv(tmp_path / "a.csv", [customer(1)])
    result = run_cli(str(path), "--database-url", "postgresql://crm:s3cret-pw@127.0.0.1:1/crm")
    assert result.exit_code == 1
    assert "error: cannot connect to 127.0.0.1:1/crm" in result.stderr and "127.0.0.1:1/crm is unchanged" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    both = run_cli(str(path), "--db", str(tmp_path / "x.sqlite3"), "--database-url", "postgresql://h/db")
    assert both.exit_code == 2 and "not both" in both.stderr


def test_a_replace_import_keeps_what_the_old_table_granted_to_the_services_role(existing, postgres, tmp_path):
    with psycopg.connect(existing, autocommit=True) as admin:
        admin.execute("DO $$ BEGIN CREATE ROLE companion_reader LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
        admin.execute("GRANT SELECT ON customers, companion_crm_schema TO companion_reader")
    import_csv_postgres(write_csv(tmp_path / "new.csv", [customer(1, segment="new")]), existing, RULES,
                        on_reject=pytest.fail)
    reader_url = existing.replace(f"{existing.split('://', 1)[1].split('@', 1)[0]}@", "companion_reader@")
    with psycopg.connect(reader_url) as reader:
        assert reader.execute("SELECT segment FROM customers").fetchall() == [("new",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("DELETE FROM customers")


_LOOKUP_PLAN = 'EXPLAIN SELECT * FROM customers WHERE "phone" = %s ORDER BY "lastContactAt" DESC, "customerId" LIMIT 1'


def _lookup_plan(url: str) -> str:
    """The plan of a phone lookup, with sequential scans off so that a table this small is read by an index."""
    with psycopg.connect(url) as connection:
        connection.execute("SET enable_seqscan = off")
        return "\n".join(row[0] for row in connection.execute(_LOOKUP_PLAN, ("+13175550100",)))


def _index_names(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        return {row[0] for row in connection.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'customers'")}


def test_a_shared_phone_is_read_off_the_ordered_index_without_a_sort(existing):
    plan = _lookup_plan(existing)
    assert "customers_phone_latest" in plan and "Sort" not in plan, plan


def test_an_upsert_replaces_the_single_column_indexes_of_an_older_import(existing, tmp_path):
    # The indexes every import made before the ordered ones: a lookup then sorts its matches.
    with psycopg.connect(existing) as connection:
        for column in ("phone", "emailKey", "accountNumber"):
            connection.execute(f'DROP INDEX "customers_{column}_latest"')
            connection.execute(f'CREATE INDEX "customers_{column}" ON customers ("{column}")')
    assert "Sort" in _lookup_plan(existing)
    import_csv_postgres(write_csv(tmp_path / "more.csv", [customer(EXISTING + 1)]), existing, RULES, upsert=True,
                        on_reject=pytest.fail)
    assert _index_names(existing) == {"customers_customerId", "customers_phone_latest", "customers_emailKey_latest",
                                      "customers_accountNumber_latest"}
    assert "Sort" not in _lookup_plan(existing)
    assert len(rows_of(existing)) == EXISTING + 1
