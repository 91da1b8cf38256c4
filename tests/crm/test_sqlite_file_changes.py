"""The SQLite file replaced, removed or damaged under a running backend: reopened, degraded, not ready."""

from __future__ import annotations

import os
import threading

import pytest

from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.sqlite import FILE_CHECK_INTERVAL_S
from service.crm.sqlite import SqliteBackend
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv

RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")


class Clock:
    """A monotonic clock the test moves by hand, so "within a second" needs no sleep."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def build(path, tmp_path, rows, name="in.csv"):
    import_csv(write_csv(tmp_path / name, rows), path, RULES, on_reject=pytest.fail)
    return path


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db(tmp_path):
    return build(tmp_path / "crm.sqlite3", tmp_path, [customer(n) for n in range(1, 11)])


def look_from_threads(backend, keys, threads=10):
    """One lookup from each of `threads` threads at once (each holds its own pooled connection)."""
    results = [None] * threads
    barrier = threading.Barrier(threads)

    def look(n):
        barrier.wait()
        results[n] = backend.lookup(keys)

    workers = [threading.Thread(target=look, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def test_a_file_moved_over_the_database_is_read_within_a_second(tmp_path, db, clock):
    backend = SqliteBackend(db, clock=clock)
    # Ten connections open on the old file, as ten request threads would hold.
    assert all(r.found for r in look_from_threads(backend, {"customerId": "C-0000003"}))
    # The new export drops customer 3 and changes customer 4's name.
    replacement = build(tmp_path / "new.sqlite3", tmp_path,
                        [customer(n) for n in range(1, 11) if n != 3] + [], name="new.csv")
    os.replace(replacement, db)
    clock.advance(FILE_CHECK_INTERVAL_S)
    results = look_from_threads(backend, {"customerId": "C-0000003"})
    assert [r.found for r in results] == [False] * 10
    assert all(not r.degraded for r in results)
    assert backend.lookup({"customerId": "C-0000004"}).found
    backend.close()


def test_a_removed_file_and_a_fresh_import_are_seen_without_a_restart(tmp_path, db, clock):
    backend = SqliteBackend(db, clock=clock)
    assert backend.lookup({"customerId": "C-0000005"}).found
    db.unlink()
    clock.advance(FILE_CHECK_INTERVAL_S)
    gone = backend.lookup({"customerId": "C-0000005"})
    assert (gone.found, gone.degraded, gone.outcome) == (False, True, "error")
    assert "missing" in gone.reason
    assert "is missing" in backend.readiness()

    build(db, tmp_path, [customer(n) for n in range(20, 25)], name="fresh.csv")
    clock.advance(FILE_CHECK_INTERVAL_S)
    assert not backend.lookup({"customerId": "C-0000005"}).found
    assert backend.lookup({"customerId": "C-0000021"}).found
    assert backend.readiness() is None
    backend.close()


def test_a_file_with_overwritten_pages_answers_degraded_and_is_not_ready(db, clock):
    backend = SqliteBackend(db, clock=clock)
    assert backend.readiness() is None
    size = db.stat().st_size
    # Garbage over every page after the first (the header stays, so the file still opens); same size.
    with open(db, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xa5" * (size - 4096))
    result = backend.lookup({"customerId": "C-0000002"})
    assert (result.found, result.degraded, result.outcome) == (False, True, "error")
    assert "malformed" in result.reason
    assert "unusable" in backend.readiness()
    backend.close()


def test_readiness_comes_back_once_a_good_file_replaces_a_damaged_one(tmp_path, db, clock):
    backend = SqliteBackend(db, clock=clock)
    with open(db, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xa5" * (db.stat().st_size - 4096))
    assert backend.lookup({"customerId": "C-0000002"}).degraded
    assert backend.readiness() is not None
    os.replace(build(tmp_path / "good.sqlite3", tmp_path, [customer(2)], name="good.csv"), db)
    clock.advance(FILE_CHECK_INTERVAL_S)
    assert backend.readiness() is None
    assert backend.lookup({"customerId": "C-0000002"}).found
    backend.close()


def test_a_file_moved_over_one_an_import_updated_while_read_gets_no_stale_write_ahead_log(tmp_path, db, clock):
    backend = SqliteBackend(db, clock=clock)
    look_from_threads(backend, {"customerId": "C-0000002"})
    # An upsert while the service reads: its pages go to crm.sqlite3-wal, which the readers keep open.
    import_csv(write_csv(tmp_path / "update.csv", [customer(2, firstName="Updated")]), db, RULES,
               on_reject=pytest.fail)
    assert backend.lookup({"customerId": "C-0000002"}).record["firstName"] == "Updated"
    # The log must not hold those pages any more: SQLite would lay them over whatever file takes the name.
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    os.replace(build(tmp_path / "other.sqlite3", tmp_path, [customer(2, firstName="Other")], name="o.csv"), db)
    clock.advance(FILE_CHECK_INTERVAL_S)
    assert [r.record["firstName"] for r in look_from_threads(backend, {"customerId": "C-0000002"})] == ["Other"] * 10
    backend.close()
