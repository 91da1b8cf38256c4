"""The real `companion crm import` process: killed or interrupted midway, and read from while it runs."""

from __future__ import annotations

import os
import pty
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.sqlite import SqliteBackend
from tests.crm.conftest import customer
from tests.crm.conftest import table
from tests.crm.conftest import write_csv

COMPANION = str(Path(sys.executable).with_name("companion"))
RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
EXISTING = 2_000
BIG = 40_000
_PROGRESS = re.compile(r"([\d,]+) rows read, ([\d,]+) rows/s, ([\d,]+) rejected so far")


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """The EXISTING customers with a new segment, then BIG - EXISTING new ones: an import that takes seconds."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    rows = [customer(n, segment="after") for n in range(BIG)]
    return write_csv(path, rows)


@pytest.fixture
def existing_db(tmp_path):
    path = tmp_path / "crm.sqlite3"
    rows = [customer(n, segment="before") for n in range(EXISTING)]
    import_csv(write_csv(tmp_path / "first.csv", rows), path, RULES, on_reject=pytest.fail)
    return path


def _children(pid: int) -> set[int]:
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class _ImportOnATerminal:
    """`companion crm import` with stderr on a pseudo-terminal, as a user at a shell runs it."""

    def __init__(self, csv_path: Path, db_path: Path):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [COMPANION, "crm", "import", str(csv_path), "--db", str(db_path)],
            stdout=subprocess.PIPE, stderr=slave, start_new_session=True,
        )
        os.close(slave)
        self.seen = ""

    def wait_for_rows(self, rows: int, timeout: float = 60) -> int:
        """Read progress until it reports at least `rows` rows; returns the count reported."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode()
                except OSError:
                    break
                counts = [int(m.group(1).replace(",", "")) for m in _PROGRESS.finditer(self.seen)]
                if counts and counts[-1] >= rows:
                    return counts[-1]
            if self.process.poll() is not None:
                break
        raise AssertionError(f"no progress to {rows} rows; output so far: {self.seen!r}")

    def _read(self, wait: float) -> bool:
        if not select.select([self.master], [], [], wait)[0]:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # the terminal's other side is closed: the process is gone
            return False
        self.seen += chunk.decode(errors="replace")
        return bool(chunk)

    def finish(self, timeout: float = 30) -> int:
        """Wait for the exit code, reading the terminal meanwhile (a full terminal would block the import)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        try:
            code = self.process.wait(1)
        except subprocess.TimeoutExpired:
            # A hung import must fail this test alone, not leak into the ones after it.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
            os.close(self.master)
            self.process.stdout.close()
            raise AssertionError(f"the import did not end within {timeout} s; output: {self.seen[-2000:]!r}") from None
        while self._read(0.05):
            pass
        self.stdout = self.process.stdout.read().decode()
        os.close(self.master)
        self.process.stdout.close()
        return code


def test_kill_9_midway_leaves_the_database_as_it_was_and_no_worker_behind(big_csv, existing_db):
    before = table(existing_db)
    run = _ImportOnATerminal(big_csv, existing_db)
    # Past the first rows checked in-process: the worker processes are validating, rows are being written.
    reported = run.wait_for_rows(24_000)
    assert 24_000 <= reported < BIG
    workers = _children(run.process.pid)
    assert workers, "the import should be using worker processes by now"
    run.process.send_signal(signal.SIGKILL)
    assert run.finish() == -signal.SIGKILL
    assert table(existing_db) == before
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
    # The killed writer left no lock behind: the next import goes through.
    small = write_csv(existing_db.with_name("small.csv"), [customer(BIG + 1)])
    assert import_csv(small, existing_db, RULES, on_reject=pytest.fail).imported == 1
    assert len(table(existing_db)) == EXISTING + 1


def test_ctrl_c_midway_rolls_back_and_says_so(big_csv, existing_db):
    before = table(existing_db)
    run = _ImportOnATerminal(big_csv, existing_db)
    run.wait_for_rows(24_000)
    # Ctrl-C at a terminal signals the whole foreground process group.
    os.killpg(run.process.pid, signal.SIGINT)
    assert run.finish() == 130
    assert "interrupted" in run.seen and "unchanged" in run.seen
    assert "Traceback" not in run.seen
    assert table(existing_db) == before


def test_kill_9_of_an_import_into_a_new_file_creates_nothing(big_csv, tmp_path):
    db = tmp_path / "new.sqlite3"
    run = _ImportOnATerminal(big_csv, db)
    run.wait_for_rows(4_000)
    run.process.send_signal(signal.SIGKILL)
    run.finish()
    assert not db.exists()


def test_readers_never_fail_nor_see_a_partial_import_while_it_runs_with_progress_on_the_terminal(
    big_csv, existing_db
):
    backend = SqliteBackend(existing_db)
    stop = threading.Event()
    failures: list[str] = []
    segments_seen: set[str] = set()
    snapshots: set[tuple[int, int]] = set()

    def read_customers(seed: int):
        rng = random.Random(seed)
        while not stop.is_set():
            n = rng.randrange(EXISTING)
            result = backend.lookup({"phone": customer(n)["phone"]})
            if not result.found or result.degraded:
                failures.append(f"customer {n}: found={result.found} degraded={result.degraded} {result.reason}")
            else:
                segments_seen.add(result.record["segment"])

    def read_totals():
        connection = sqlite3.connect(existing_db.resolve().as_uri() + "?mode=ro", uri=True)
        while not stop.is_set():
            # One statement, one snapshot: how many rows, and how many carry the new segment.
            snapshots.add(connection.execute(
                "SELECT count(*), sum(segment = 'after') FROM customers").fetchone())
        connection.close()

    threads = [threading.Thread(target=read_customers, args=(n,)) for n in range(2)]
    threads.append(threading.Thread(target=read_totals))
    for thread in threads:
        thread.start()
    try:
        run = _ImportOnATerminal(big_csv, existing_db)
        code = run.finish(timeout=120)
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        backend.close()
    assert code == 0, run.seen
    progress = _PROGRESS.findall(run.seen)
    assert progress and progress[-1][0] == f"{BIG:,}" and progress[-1][2] == "0"
    assert f"{BIG:,} customers imported" in run.stdout
    assert failures == []
    # Readers saw the data before the import and after it, and nothing in between.
    assert segments_seen == {"before", "after"}
    assert snapshots == {(EXISTING, 0), (BIG, BIG)}
