"""Imports that used to lose data, eat memory or end in a traceback: concurrent imports into one database,
files that are not CSV, oversized fields, bad bytes, and folders or disks that cannot be written."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.crm.importer import ImportFileError
from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.importer import import_lock
from service.crm.importer import lock_path
from service.crm.sqlite import SqliteBackend
from tests.crm.conftest import HEADER
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv

ROOT = Path(__file__).resolve().parents[2]
RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")


def run_import(csv_path, db_path, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "service", "crm", "import", str(csv_path), "--db", str(db_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}, **popen,
    )


def test_a_second_import_into_the_same_new_database_fails_clearly_and_loses_nothing(tmp_path):
    db = tmp_path / "new" / "crm.sqlite3"
    big = write_csv(tmp_path / "big.csv", [customer(n) for n in range(1, 30_001)])
    small = write_csv(tmp_path / "small.csv", [customer(n, firstName="Second") for n in range(1, 11)])
    first = run_import(big, db)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if lock_path(db).exists() and lock_path(db).read_text() == str(first.pid):
                break
            time.sleep(0.02)
        second = run_import(small, db)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1, err
        assert f"another import into {db} is running (process {first.pid})" in err
        assert "Traceback" not in err
    finally:
        first.communicate(timeout=120)
    assert first.returncode == 0
    backend = SqliteBackend(db)
    assert backend.lookup({"customerId": "C-0030000"}).found
    assert backend.lookup({"customerId": "C-0000001"}).record["firstName"] == "Grace"
    backend.close()


def test_the_lock_is_per_database_and_released_after_an_import(tmp_path):
    db = tmp_path / "crm.sqlite3"
    with import_lock(db):
        with pytest.raises(ImportFileError, match="another import into .* is running"):
            import_csv(write_csv(tmp_path / "a.csv", [customer(1)]), db, RULES, on_reject=pytest.fail)
        # Another database is not held up.
        import_csv(write_csv(tmp_path / "b.csv", [customer(2)]), tmp_path / "other.sqlite3", RULES,
                   on_reject=pytest.fail)
    assert import_csv(tmp_path / "a.csv", db, RULES, on_reject=pytest.fail).imported == 1


def test_a_file_without_line_breaks_is_refused_without_reading_it_all(tmp_path):
    started = time.monotonic()
    with pytest.raises(ImportFileError, match=r"/dev/zero line 1 is longer than 1,048,576 characters"):
        import_csv(Path("/dev/zero"), tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    assert time.monotonic() - started < 10
    assert not (tmp_path / "crm.sqlite3").exists()


def test_a_field_over_the_csv_size_limit_rejects_that_row_only(tmp_path):
    rows = [customer(1), customer(2, segment="x" * 200_000), customer(3)]
    rejected = []
    report = import_csv(write_csv(tmp_path / "in.csv", rows), tmp_path / "crm.sqlite3", RULES,
                        on_reject=rejected.append)
    assert report.imported == 2
    assert [(r.line, r.reason) for r in rejected] == [(3, "has a field over 131,072 characters")]
    backend = SqliteBackend(tmp_path / "crm.sqlite3")
    assert backend.lookup({"customerId": "C-0000003"}).found
    backend.close()


def test_bad_utf8_is_reported_on_its_own_line(tmp_path):
    path = write_csv(tmp_path / "in.csv", [customer(n) for n in range(1, 6)])
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"Grace", b"Gr\xffce")  # line 4: the third customer
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ImportFileError) as error:
        import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    assert str(error.value) == f"{path} is not UTF-8 text (line 4, character 13)"


def test_a_parent_path_that_is_a_file_is_one_clear_line(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    with pytest.raises(ImportFileError) as error:
        import_csv(write_csv(tmp_path / "in.csv", [customer(1)]), blocker / "crm.sqlite3", RULES,
                   on_reject=pytest.fail)
    assert str(error.value) == f"cannot create {blocker / 'crm.sqlite3'}: a part of {blocker} is a file, not a folder"


def test_a_folder_that_cannot_be_written_is_one_clear_line(tmp_path):
    # /sys refuses new files even to root, which chmod would not stop.
    with pytest.raises(ImportFileError) as error:
        import_csv(write_csv(tmp_path / "in.csv", [customer(1)]), Path("/sys/crm.sqlite3"), RULES,
                   on_reject=pytest.fail)
    assert str(error.value) == "cannot write in /sys: Permission denied"


def _small_file_limit():
    # Writes past 256 KiB fail as on a full disk (EFBIG instead of ENOSPC); SIGXFSZ would kill the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


@pytest.mark.parametrize("existing", [False, True])
def test_a_full_disk_is_one_clear_line_and_the_database_is_unchanged(tmp_path, existing):
    db = tmp_path / "crm.sqlite3"
    if existing:
        import_csv(write_csv(tmp_path / "first.csv", [customer(1)]), db, RULES, on_reject=pytest.fail)
    before = db.read_bytes() if existing else None
    big = write_csv(tmp_path / "big.csv", [customer(n) for n in range(2, 5_000)])
    process = run_import(big, db, preexec_fn=_small_file_limit)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: writing {db} failed: the disk is full or failing") and "is unchanged" in last
    if existing:
        assert db.read_bytes() == before
    else:
        assert not db.exists()


def test_lines_ending_in_a_bare_carriage_return_still_import(tmp_path):
    # The line-by-line reader keeps universal newlines: an old Mac export is still one row per line.
    path = tmp_path / "in.csv"
    rows = [",".join(HEADER)] + [",".join(customer(n).values()) for n in (1, 2)]
    path.write_bytes("\r".join(rows).encode() + b"\r")
    assert import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail).imported == 2
