"""CSV import into the SQLite CRM: every row validated, valid rows written in one transaction, rejects reported."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import errno
import fcntl
import functools
import os
import re
import sqlite3
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path

from service.crm.parallel import map_in_order
from service.crm.phones import PhoneError
from service.crm.phones import normalise_phone
from service.crm.sqlite import COLUMNS
from service.crm.sqlite import RECORD_FIELDS
from service.crm.sqlite import create_indexes
from service.crm.sqlite import create_schema
from service.crm.sqlite import database_problem
from service.crm.text_rules import text_problem

# displayName may be left out: it is then "firstName lastName".
OPTIONAL_COLUMNS = ("displayName",)
REQUIRED_COLUMNS = tuple(name for name in RECORD_FIELDS if name not in OPTIONAL_COLUMNS)
# Rows per executemany call: large enough to amortise the call, small enough to keep progress lively.
BATCH_ROWS = 20_000
# Rows validated together (in one worker process for big files), and the size from which workers help.
CHUNK_ROWS = 2_000
PARALLEL_AFTER_ROWS = 20_000
_ID = COLUMNS.index("customerId")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# BCP 47 shape (language, optional script/region/variants), e.g. en, en-US, zh-Hant-TW, es-419.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}

_UPSERT = (
    f"INSERT INTO customers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
    f"ON CONFLICT(customerId) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name != "customerId")
)
_INSERT = f"INSERT INTO customers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, bad header, not UTF-8, database unusable)."""


class RowError(ValueError):
    """One row is invalid; str() says which field and why."""


@dataclasses.dataclass(frozen=True)
class RowRules:
    """What a valid row is: the configured tiers and the region for national phone numbers."""

    tiers: tuple[str, ...]
    default_region: str


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A row left out of the import: its line in the file and why."""

    line: int
    reason: str


@dataclasses.dataclass
class ImportReport:
    """What an import did."""

    imported: int = 0
    rejected: int = 0
    created: bool = False
    seconds: float = 0.0


@dataclasses.dataclass(frozen=True)
class Progress:
    """Rows read so far, rejected so far, seconds since the start; done on the last report."""

    rows: int
    rejected: int
    seconds: float
    done: bool = False


def check_header(header: Sequence[str]) -> dict[str, int]:
    """Column name -> index, or ImportFileError naming the unknown, missing or repeated columns."""
    names = [name.strip() for name in header]
    problems = []
    unknown = [name for name in names if name not in RECORD_FIELDS]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise ImportFileError(
            "; ".join(problems) + f". The header must name these columns (any order): {', '.join(REQUIRED_COLUMNS)}"
            f" and optionally {', '.join(OPTIONAL_COLUMNS)}"
        )
    return {name: index for index, name in enumerate(names)}


def _text(values: dict[str, str], name: str, *, formulas: bool = True) -> str:
    value = values.get(name, "").strip()
    problem = text_problem(value, formulas=formulas)
    if problem:
        raise RowError(f"{name} {problem}")
    return value


def _integer(values: dict[str, str], name: str, low: int, high: int | None) -> int:
    text = values.get(name, "").strip()
    if not text:
        return 0
    try:
        number = int(text)
    except ValueError:
        raise RowError(f"{name} {text!r} is not a whole number") from None
    if number < low or (high is not None and number > high):
        bounds = f"{low}-{high}" if high is not None else f">= {low}"
        raise RowError(f"{name} {number} is outside {bounds}")
    return number


def _timestamp(text: str) -> str:
    if not text:
        return ""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"lastContactAt {text!r} is not an ISO-8601 date-time (e.g. 2024-05-01T14:30:00Z)") from None
    if moment.tzinfo is None:
        raise RowError(f"lastContactAt {text!r} has no time zone; add Z for UTC or an offset such as +02:00")
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate_row(values: dict[str, str], rules: RowRules) -> tuple:
    """One CSV row (column -> text) as a customers row in COLUMNS order.

    :raise RowError: naming the first invalid field and why.
    """
    customer_id = _text(values, "customerId")
    if not customer_id:
        raise RowError("customerId is empty")
    first, last = _text(values, "firstName"), _text(values, "lastName")
    display = _text(values, "displayName") or f"{first} {last}".strip()
    email = _text(values, "email")
    if email and not _EMAIL.match(email):
        raise RowError(f"email {email!r} is not an e-mail address")
    phone = _text(values, "phone", formulas=False)
    if phone:
        try:
            # The uncached function: an import sees each number once, a cache would only churn.
            phone = normalise_phone.__wrapped__(phone, rules.default_region)
        except PhoneError as exc:
            raise RowError(f"phone {phone!r} {exc}") from None
    tier = _text(values, "tier").lower()
    if tier not in rules.tiers:
        shown = repr(tier) if tier else "(empty)"
        raise RowError(f"tier {shown} is not one of {', '.join(rules.tiers)} (COMPANION_TIERS)")
    language = _text(values, "preferredLanguage")
    if language and not _LANGUAGE.match(language):
        raise RowError(f"preferredLanguage {language!r} is not a language tag such as en-US")
    vip_text = values.get("vip", "").strip().lower()
    if vip_text in _TRUE:
        vip = 1
    elif vip_text in _FALSE:
        vip = 0
    else:
        raise RowError(f"vip {vip_text!r} is not true/false, yes/no or 1/0")
    record = {
        "customerId": customer_id,
        "firstName": first,
        "lastName": last,
        "displayName": display,
        "email": email,
        "phone": phone,
        "accountNumber": _text(values, "accountNumber"),
        "tier": tier,
        "segment": _text(values, "segment"),
        "preferredLanguage": language,
        "priority": _integer(values, "priority", 0, 100),
        "vip": vip,
        "openCases": _integer(values, "openCases", 0, None),
        "lastContactAt": _timestamp(_text(values, "lastContactAt")),
        "emailKey": email.lower(),
    }
    return tuple(record[name] for name in COLUMNS)


def check_fields(
    chunk: list[tuple[int, Sequence[str]]], columns: dict[str, int], width: int, rules: RowRules
) -> list[tuple[int, tuple | None, str]]:
    """(line, row or None, reason) for each (line, fields) of a chunk; runs in worker processes too."""
    results = []
    for line, fields in chunk:
        if isinstance(fields, UnreadableRow):
            results.append((line, None, fields.reason))
            continue
        try:
            if len(fields) != width:
                raise RowError(f"has {len(fields)} fields; the header has {width}")
            results.append((line, validate_row({name: fields[index] for name, index in columns.items()}, rules), ""))
        except RowError as exc:
            results.append((line, None, str(exc)))
    return results


def _chunks(rows: Iterator[tuple[int, Sequence[str]]]):
    chunk = []
    for line, fields in rows:
        if not isinstance(fields, UnreadableRow) and (not fields or (len(fields) == 1 and not fields[0].strip())):
            continue  # blank line
        chunk.append((line, fields))
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _checked_chunks(chunks: Iterator[list], check: Callable, workers: int):
    """Small files are checked here; past PARALLEL_AFTER_ROWS the rest goes to `workers` processes."""
    done = 0
    for chunk in chunks:
        yield check(chunk)
        done += len(chunk)
        if done >= PARALLEL_AFTER_ROWS and workers > 1:
            # Phone validation (libphonenumber) dominates an import and is per row: it scales with cores.
            yield from map_in_order(check, chunks, workers)
            return


def _valid_rows(
    rows: Iterable[tuple[int, Sequence[str]]],
    rules: RowRules,
    report: ImportReport,
    on_reject: Callable[[Rejected], None],
    on_progress: Callable[[Progress], None] | None,
    started: float,
    workers: int,
):
    """Yield valid rows in COLUMNS order; report the rest. `rows` yields (line, fields), header first."""
    iterator = iter(rows)
    try:
        _, header = next(iterator)
    except StopIteration:
        raise ImportFileError("the file is empty; the first line must be the header") from None
    if isinstance(header, UnreadableRow):
        raise ImportFileError(f"the header {header.reason}")
    columns = check_header(header)
    check = functools.partial(check_fields, columns=columns, width=len(header), rules=rules)
    first_line: dict[str, int] = {}
    read = 0
    for results in _checked_chunks(_chunks(iterator), check, workers):
        for line, row, reason in results:
            if row is not None:
                seen = first_line.setdefault(row[_ID], line)
                if seen == line:
                    yield row
                    continue
                reason = f"customerId {row[_ID]!r} repeats the row on line {seen}"
            report.rejected += 1
            on_reject(Rejected(line, reason))
        read += len(results)
        if on_progress is not None:
            on_progress(Progress(read, report.rejected, time.perf_counter() - started))
    if on_progress is not None:
        on_progress(Progress(read, report.rejected, time.perf_counter() - started, done=True))


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_existing(db_path: Path, rows, report: ImportReport) -> None:
    """Upsert into an existing database in one transaction; readers keep seeing the old data until COMMIT."""
    connection = sqlite3.connect(db_path, isolation_level=None, timeout=10)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA cache_size = -262144")  # 256 MiB: the indexes of a big file stay in memory
        connection.execute("PRAGMA temp_store = MEMORY")
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise ImportFileError(f"{db_path} is being written by another import ({exc})") from None
        try:
            create_schema(connection)
            for batch in _batches(rows, BATCH_ROWS):
                connection.executemany(_UPSERT, batch)
                report.imported += len(batch)
            if report.imported:
                connection.execute("COMMIT")
                _empty_write_ahead_log(connection)
            else:
                connection.execute("ROLLBACK")
        except BaseException:
            # Ctrl-C, a file error or a full disk: nothing of this import stays (kill -9: WAL drops it).
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    finally:
        connection.close()


def _empty_write_ahead_log(connection: sqlite3.Connection) -> None:
    """Copy the committed pages into the database file and truncate the -wal file to nothing.

    The service's readers keep the -wal file open, so SQLite does not delete it; a file later moved over
    the database (`mv new.sqlite3 crm.sqlite3`) would get these pages laid over its own, because SQLite
    finds a database's log by its file name alone (https://www.sqlite.org/howtocorrupt.html, on journal
    files that no longer belong to their database; tests/crm/test_sqlite_file_changes.py shows it).
    TRUNCATE waits (busy timeout) for readers between lookups, which hold no lock.
    """
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def _write_fresh(db_path: Path, rows, report: ImportReport) -> None:
    """Build a new database in a temporary file next to db_path and move it into place when complete."""
    temporary = db_path.with_name(f".{db_path.name}.import-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    try:
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            # Nothing reads this file until os.replace below, and a crash leaves only the temporary file:
            # no journal and no fsync per page while loading, one index build at the end instead of per row.
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("PRAGMA locking_mode = EXCLUSIVE")
            connection.execute("PRAGMA cache_size = -262144")
            connection.execute("PRAGMA temp_store = MEMORY")
            connection.execute("BEGIN")
            create_schema(connection, indexes=False)
            for batch in _batches(rows, BATCH_ROWS):
                connection.executemany(_INSERT, batch)
                report.imported += len(batch)
            create_indexes(connection)
            connection.execute("COMMIT")
            # WAL is a property of the file: the service's readers and later imports never block each other.
            connection.execute("PRAGMA locking_mode = NORMAL")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        finally:
            connection.close()
        if report.imported:
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
            # A -wal or -shm file left by a removed database would be laid over this one (see above).
            for leftover in ("-wal", "-shm"):
                db_path.with_name(db_path.name + leftover).unlink(missing_ok=True)
            os.replace(temporary, db_path)
            _fsync_directory(db_path.parent)
            report.created = True
    finally:
        temporary.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def import_rows(
    rows: Iterable[tuple[int, Sequence[str]]],
    db_path: Path,
    rules: RowRules,
    *,
    on_reject: Callable[[Rejected], None],
    on_progress: Callable[[Progress], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import (line, fields) rows, header first, into db_path (created when missing).

    Big inputs are validated in `workers` processes (default: one per core); rows keep their file order.

    :raise ImportFileError: the file or the database cannot be used; the database is unchanged.
    """
    db_path = Path(db_path)
    report = ImportReport()
    started = time.perf_counter()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    _prepare_folder(db_path)
    with import_lock(db_path):
        valid = _valid_rows(rows, rules, report, on_reject, on_progress, started, workers)
        # closing(): on any failure the generator's finally runs now, stopping worker processes at once.
        with contextlib.closing(valid), _storage_errors(db_path):
            # Decided under the lock: two imports into a new path both saw "missing" before, and the
            # later rename replaced the first one's database (every import still exited 0).
            if db_path.exists():
                problem = database_problem(db_path)
                if problem:
                    raise ImportFileError(f"{problem}; import into a new file or remove it")
                _write_existing(db_path, valid, report)
            else:
                _write_fresh(db_path, valid, report)
    report.seconds = time.perf_counter() - started
    return report


def validate_into(
    write: Callable[[Iterator[tuple], ImportReport], None],
    rows: Iterable[tuple[int, Sequence[str]]],
    rules: RowRules,
    *,
    on_reject: Callable[[Rejected], None],
    on_progress: Callable[[Progress], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Validate (line, fields) rows, header first, as import_rows does, and hand the valid ones (COLUMNS
    order) to write(valid, report), which stores them all or none and counts report.imported.

    :raise ImportFileError: the file or the store cannot be used; the store is unchanged.
    """
    report = ImportReport()
    started = time.perf_counter()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    valid = _valid_rows(rows, rules, report, on_reject, on_progress, started, workers)
    with contextlib.closing(valid):
        write(valid, report)
    report.seconds = time.perf_counter() - started
    return report


def lock_path(db_path: Path) -> Path:
    """The file an import holds a lock on while it writes db_path (left in place; it holds only a pid)."""
    return db_path.with_name(f".{db_path.name}.import-lock")


@contextlib.contextmanager
def import_lock(db_path: Path):
    """One import at a time per database: the second one fails at once, saying which process holds it.

    :raise ImportFileError: another import holds the lock, or the folder cannot be written.
    """
    path = lock_path(db_path)
    try:
        handle = open(path, "a+", encoding="ascii")
    except OSError as exc:
        raise ImportFileError(_folder_problem(db_path, exc)) from None
    with handle:
        try:
            # flock: released by the kernel when the process ends, however it ends (kill -9 included).
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise ImportFileError(
                f"another import into {db_path} is running{f' (process {holder})' if holder.isdigit() else ''}; "
                "run this one when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def _prepare_folder(db_path: Path) -> None:
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportFileError(_folder_problem(db_path, exc)) from None


def _folder_problem(db_path: Path, exc: OSError) -> str:
    folder = db_path.parent
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"cannot create {db_path}: a part of {folder} is a file, not a folder"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write in {folder}: {exc.strerror}"
    if exc.errno == errno.ENOSPC:
        return f"cannot write in {folder}: the disk is full"
    return f"cannot write in {folder}: {exc.strerror or exc}"


@contextlib.contextmanager
def _storage_errors(db_path: Path):
    """A full disk or an unwritable file while writing, as one line instead of a traceback."""
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        if "disk is full" in text or "disk I/O error" in text:
            raise ImportFileError(f"writing {db_path} failed: the disk is full or failing ({text})") from None
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            raise ImportFileError(f"cannot write {db_path}: {text}") from None
        raise ImportFileError(f"writing {db_path} failed: {text}") from None
    except OSError as exc:
        raise ImportFileError(_folder_problem(db_path, exc)) from None


# A valid row is a few kilobytes (MAX_TEXT_LENGTH per field); a physical line past this is not CSV (a file
# with no line breaks, /dev/zero), and reading it whole would take all memory.
MAX_LINE_CHARS = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class UnreadableRow:
    """In place of a row's fields: the CSV reader could not read this record (it is rejected, not the file)."""

    reason: str


def _bounded_lines(handle, path: Path):
    """The file's physical lines, each checked for length and for bytes that are not UTF-8, where they are."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise ImportFileError(f"{path} line {number} is longer than {MAX_LINE_CHARS:,} characters: not a CSV file")
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError as exc:
                # surrogateescape turned each undecodable byte into a lone surrogate: this line, this column.
                raise ImportFileError(f"{path} is not UTF-8 text (line {number}, character {exc.start + 1})") from None
        yield line


def csv_rows(path: Path):
    """(line number where the record starts, fields) for each record of a UTF-8 CSV file, header first.

    A record with a field over the csv module's size limit comes as UnreadableRow (a rejected row).
    """
    try:
        # surrogateescape: bad bytes are found per line by _bounded_lines, not per 8 KiB decoding chunk,
        # which reported them at the line the chunk started on.
        handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(_bounded_lines(handle, path), strict=True)
        line = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field larger than field limit" not in str(exc):
                    raise ImportFileError(f"{path} line {reader.line_num}: {exc}") from None
                # The reader drops the rest of that line and goes on with the next one.
                fields = UnreadableRow(f"has a field over {csv.field_size_limit():,} characters")
            yield line, fields
            line = reader.line_num + 1


def import_csv(csv_path: Path, db_path: Path, rules: RowRules, **callbacks) -> ImportReport:
    """Import a CSV file whose header names our customer fields; see import_rows."""
    return import_rows(csv_rows(Path(csv_path)), db_path, rules, **callbacks)
