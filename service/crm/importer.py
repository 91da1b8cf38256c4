"""CSV import into the SQLite CRM: every row validated, valid rows written in one transaction, rejects reported."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import fcntl
import functools
import io
import os
import re
import sqlite3
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

from schemas.record import EMAIL_KEY_COLUMN
from schemas.record import RecordField
from schemas.record import record_fields
from schemas.record import store_columns
from schemas.record import to_bool
from schemas.record import to_utc_timestamp
from service.crm.parallel import map_in_order
from service.crm.phones import PhoneError
from service.crm.phones import normalise_phone
from service.crm.sqlite import FieldsMismatch
from service.crm.sqlite import create_indexes
from service.crm.sqlite import create_schema
from service.crm.sqlite import database_problem
from service.crm.sqlite import migrate_fields
from service.crm.sqlite import quoted
from service.crm.text_rules import text_problem

# Rows per executemany call: large enough to amortise the call, small enough to keep progress lively.
BATCH_ROWS = 20_000
# Rows validated together (in one worker process for big files), and the size from which workers help.
CHUNK_ROWS = 2_000
PARALLEL_AFTER_ROWS = 20_000
# The delimiters a CSV file may use: comma, semicolon (Excel's default where the decimal mark is a comma)
# and tab. Detected from the header line unless given.
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# BCP 47 shape (language, optional script/region/variants), e.g. en, en-US, zh-Hant-TW, es-419.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, bad header, not UTF-8, database unusable)."""


class RowError(ValueError):
    """One row is invalid; str() says which fields and why, every problem of the row, "; "-separated."""


@dataclasses.dataclass(frozen=True)
class RowRules:
    """What a valid row is: the configured tiers, the region for national phone numbers, the custom fields."""

    tiers: tuple[str, ...]
    default_region: str
    custom: tuple[RecordField, ...] = ()

    @property
    def fields(self) -> tuple[RecordField, ...]:
        return record_fields(self.custom)

    @property
    def columns(self) -> tuple[str, ...]:
        """The store's columns, in the order validated rows hold them."""
        return tuple(column.name for column in store_columns(self.fields))


@dataclasses.dataclass(frozen=True)
class HeaderRules:
    """How a CSV header names our fields: other header names (header -> field) and whether to skip unknown ones."""

    renames: Mapping[str, str] = dataclasses.field(default_factory=dict)
    ignore_unknown: bool = False


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
    # Columns of the file that were skipped (--ignore-unknown) and changes made to an existing database's fields.
    ignored_columns: tuple[str, ...] = ()
    migrations: tuple[str, ...] = ()
    # The fields the file has columns for (an upsert leaves the others as they are).
    present_columns: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class Progress:
    """Rows read so far, rejected so far, seconds since the start, bytes of the file read; done on the last."""

    rows: int
    rejected: int
    seconds: float
    done: bool = False
    bytes_read: int = 0


def _shown(name: str) -> str:
    return name if name.strip() and name == name.strip() else repr(name)


def check_header(
    header: Sequence[str], rules: RowRules, header_rules: HeaderRules = HeaderRules()
) -> tuple[dict[str, int], tuple[str, ...]]:
    """(field name -> column index, skipped columns), or ImportFileError naming every unknown, missing or
    repeated column."""
    fields = rules.fields
    known = {field.name for field in fields}
    renames = dict(header_rules.renames)
    columns: dict[str, int] = {}
    unknown, repeated, skipped = [], [], []
    for index, raw in enumerate(header):
        name = renames.get(raw.strip(), raw.strip())
        if name not in known:
            (skipped if header_rules.ignore_unknown else unknown).append(raw.strip())
        elif name in columns:
            repeated.append(name)
        else:
            columns[name] = index
    problems = []
    if unknown:
        problems.append(f"unknown column(s): {', '.join(_shown(name) for name in unknown)}")
    missing = [field.name for field in fields if field.required and field.name not in columns]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(sorted(set(repeated)))}")
    if problems:
        hints = []
        if unknown:
            separators = [d for d in (";", "\t", ",") if any(d in name for name in unknown)]
            if separators:
                hints.append(
                    f"the header holds {_DELIMITER_NAMES[separators[0]]}: if that separates the columns, "
                    f"pass --delimiter {_DELIMITER_NAMES[separators[0]].strip(chr(39))!r}"
                )
            hints.append("name other headers with --map 'HEADER=field', or skip unknown columns with --ignore-unknown")
        required = [field.name for field in fields if field.required]
        optional = [field.name for field in fields if not field.required]
        raise ImportFileError(
            "; ".join(problems + hints)
            + f". Columns (any order): {', '.join(required)}, and optionally {', '.join(optional)}"
        )
    return columns, tuple(skipped)


# Rules that only ask a non-empty value to match a pattern, and what the value must be.
_PATTERN_RULES = {"email": (_EMAIL, "an e-mail address"), "language": (_LANGUAGE, "a language tag such as en-US")}


def _text_check(field: RecordField, rules: RowRules) -> Callable[[str], object]:
    name = field.name

    # A phone number is normalised to E.164 (a leading "+") afterwards, so the formula rule is not for it.
    formulas = field.rule != "phone"

    def text(value: str) -> str:
        value = value.strip()
        problem = text_problem(value, formulas=formulas)
        if problem:
            raise RowError(f"{name} {problem}")
        return value

    rule = field.rule
    if rule == "text":
        return text
    if rule == "id":
        def identifier(value: str) -> str:
            value = text(value)
            if not value:
                raise RowError(f"{name} is empty")
            return value
        return identifier
    if rule in _PATTERN_RULES:
        pattern, kind = _PATTERN_RULES[rule]

        def matching(value: str) -> str:
            value = text(value)
            if value and not pattern.match(value):
                raise RowError(f"{name} {value!r} is not {kind}")
            return value
        return matching
    if rule == "phone":
        region = rules.default_region
        # The uncached function: an import sees each number once, a cache would only churn.
        normalise = normalise_phone.__wrapped__

        def phone(value: str) -> str:
            value = text(value)
            if not value:
                return value
            try:
                return normalise(value, region)
            except PhoneError as exc:
                raise RowError(f"{name} {value!r} {exc}") from None
        return phone
    if rule == "tier":
        tiers = rules.tiers

        def tier(value: str) -> str:
            value = text(value).lower()
            if value and value not in tiers:
                raise RowError(f"{name} {value!r} is not one of {', '.join(tiers)} (COMPANION_TIERS)")
            return value
        return tier
    if rule == "timestamp":
        def timestamp(value: str) -> str:
            value = text(value)
            try:
                return to_utc_timestamp(value)
            except ValueError as exc:
                raise RowError(f"{name} {value!r} {exc}") from None
        return timestamp
    raise ValueError(f"{name}: unknown value rule {rule!r}")


def _integer_check(field: RecordField) -> Callable[[str], int]:
    name = field.name
    low, high = field.bounds
    if field.minimum is not None and field.maximum is not None:
        bounds = f"{low}-{high}"
    elif field.minimum is not None:
        bounds = f">= {low}"
    elif field.maximum is not None:
        bounds = f"<= {high}"
    else:
        bounds = "the 64-bit integer range"

    def integer(value: str) -> int:
        value = value.strip()
        if not value:
            return 0
        try:
            number = int(value)
        except ValueError:
            raise RowError(f"{name} {value!r} is not a whole number") from None
        if not low <= number <= high:
            raise RowError(f"{name} {number} is outside {bounds}")
        return number

    return integer


def _boolean_check(field: RecordField) -> Callable[[str], int]:
    name = field.name

    def boolean(value: str) -> int:
        try:
            return int(to_bool(value))
        except ValueError as exc:
            raise RowError(f"{name} {value.strip()!r} {exc}") from None

    return boolean


@functools.lru_cache(maxsize=16)
def _checks(rules: RowRules) -> tuple[Callable[[str], object], ...]:
    """One value check per record field, in field order, built once per rules (and per worker process)."""
    checks = []
    for field in rules.fields:
        if field.type == "integer":
            checks.append(_integer_check(field))
        elif field.type == "boolean":
            checks.append(_boolean_check(field))
        else:
            checks.append(_text_check(field, rules))
    return tuple(checks)


_FIRST, _LAST, _DISPLAY, _EMAIL_INDEX = (
    RowRules((), "").columns.index(name) for name in ("firstName", "lastName", "displayName", "email")
)


def check_values(texts: Sequence[str], rules: RowRules) -> tuple:
    """A customers row in rules.columns order from one text per record field ("" for an absent column).

    :raise RowError: naming every invalid field of the row and why.
    """
    row = []
    problems = []
    for check, text in zip(_checks(rules), texts):
        try:
            row.append(check(text))
        except RowError as exc:
            problems.append(str(exc))
            row.append(None)
    if problems:
        raise RowError("; ".join(problems))
    if not row[_DISPLAY]:
        row[_DISPLAY] = f"{row[_FIRST]} {row[_LAST]}".strip()
    row.append(row[_EMAIL_INDEX].lower())
    return tuple(row)


def validate_row(values: Mapping[str, str], rules: RowRules) -> tuple:
    """One CSV row (field -> text; absent fields empty) as a customers row in rules.columns order.

    :raise RowError: naming every invalid field of the row and why.
    """
    return check_values([values.get(field.name, "") for field in rules.fields], rules)


def check_fields(
    chunk: list[tuple[int, list[str]]], columns: dict[str, int], width: int, rules: RowRules
) -> list[tuple[int, tuple | None, str]]:
    """(line, row or None, reason) for each (line, fields) of a chunk; runs in worker processes too."""
    # Absent columns read the "" appended after each row's own fields (index `width`).
    indices = [columns.get(field.name, width) for field in rules.fields]
    results = []
    for line, fields in chunk:
        if isinstance(fields, UnreadableRow):
            results.append((line, None, fields.reason))
            continue
        try:
            if len(fields) != width:
                raise RowError(f"has {len(fields)} fields; the header has {width}")
            padded = list(fields)
            padded.append("")
            results.append((line, check_values([padded[index] for index in indices], rules), ""))
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
    rows: Iterator[tuple[int, Sequence[str]]],
    header: Callable[[Iterator], Callable],
    report: ImportReport,
    on_reject: Callable[[Rejected], None],
    on_progress: Callable[[Progress], None] | None,
    bytes_read: Callable[[], int],
    started: float,
    workers: int,
):
    """Yield valid rows in RowRules.columns order; report the rest. `rows` yields (line, fields), header first:
    header(rows) reads and checks it when the first row is asked for (after the store's own checks)."""
    check = header(rows)
    first_line: dict[str, int] = {}
    read = 0
    for results in _checked_chunks(_chunks(rows), check, workers):
        for line, row, reason in results:
            if row is not None:
                seen = first_line.setdefault(row[0], line)
                if seen == line:
                    yield row
                    continue
                reason = f"customerId {row[0]!r} repeats the row on line {seen}"
            report.rejected += 1
            on_reject(Rejected(line, reason))
        read += len(results)
        if on_progress is not None:
            on_progress(Progress(read, report.rejected, time.perf_counter() - started, bytes_read=bytes_read()))
    if on_progress is not None:
        on_progress(Progress(read, report.rejected, time.perf_counter() - started, done=True, bytes_read=bytes_read()))


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_sql(columns: Sequence[str]) -> str:
    return f"INSERT INTO customers ({', '.join(map(quoted, columns))}) VALUES ({', '.join('?' for _ in columns)})"


def _upsert_sql(columns: Sequence[str], updated: Sequence[str]) -> str:
    """Insert, or update only `updated` on a known customerId: columns the file leaves out keep their values."""
    if not updated:
        return _insert_sql(columns) + " ON CONFLICT(customerId) DO NOTHING"
    return _insert_sql(columns) + " ON CONFLICT(customerId) DO UPDATE SET " + ", ".join(
        f"{quoted(name)} = excluded.{quoted(name)}" for name in updated
    )


def updated_columns(present: set[str], columns: Sequence[str]) -> list[str]:
    """The columns an upsert sets on an existing customer: those the file has, and what derives from them."""
    derived = set(present)
    if derived & {"displayName", "firstName", "lastName"}:
        derived.add("displayName")
    if "email" in derived:
        derived.add(EMAIL_KEY_COLUMN)
    return [name for name in columns if name in derived and name != "customerId"]


def _write_existing(db_path: Path, rows, report: ImportReport, rules: RowRules) -> None:
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
            try:
                # Inside the transaction: the new columns exist only if the rows land too.
                migrations = migrate_fields(connection, rules.custom)
            except FieldsMismatch as exc:
                raise ImportFileError(f"{db_path}: {exc}") from None
            create_schema(connection, rules.custom)
            upsert = None
            for batch in _batches(rows, BATCH_ROWS):
                # Built once the header is read (with the first rows): it names the columns the file has.
                upsert = upsert or _upsert_sql(rules.columns, updated_columns(report.present_columns, rules.columns))
                connection.executemany(upsert, batch)
                report.imported += len(batch)
            if report.imported:
                connection.execute("COMMIT")
                _empty_write_ahead_log(connection)
                report.migrations = tuple(migrations)
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


def _write_fresh(db_path: Path, rows, report: ImportReport, rules: RowRules) -> None:
    """Build a new database in a temporary file next to db_path and move it into place when complete."""
    temporary = db_path.with_name(f".{db_path.name}.import-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    insert = _insert_sql(rules.columns)
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
            create_schema(connection, rules.custom, indexes=False)
            for batch in _batches(rows, BATCH_ROWS):
                connection.executemany(insert, batch)
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


def _read_header(
    iterator: Iterator, rules: RowRules, header_rules: HeaderRules, report: ImportReport
) -> Callable[[list], list]:
    """Read and check the header; the chunk check for the rows after it (skipped columns noted in the report)."""
    try:
        _, header = next(iterator)
    except StopIteration:
        raise ImportFileError("the file is empty; the first line must be the header") from None
    if isinstance(header, UnreadableRow):
        raise ImportFileError(f"the header {header.reason}")
    columns, report.ignored_columns = check_header(header, rules, header_rules)
    report.present_columns = frozenset(columns)
    return functools.partial(check_fields, columns=columns, width=len(header), rules=rules)


def import_rows(
    rows: Iterable[tuple[int, Sequence[str]]],
    db_path: Path,
    rules: RowRules,
    *,
    on_reject: Callable[[Rejected], None],
    on_progress: Callable[[Progress], None] | None = None,
    workers: int | None = None,
    header_rules: HeaderRules = HeaderRules(),
    bytes_read: Callable[[], int] = lambda: 0,
) -> ImportReport:
    """Import (line, fields) rows, header first, into db_path (created when missing).

    The header names the columns (header_rules: other names, unknown columns skipped); columns of optional
    fields may be absent. Big inputs are validated in `workers` processes (default: one per core); rows keep
    their file order.

    :raise ImportFileError: the file or the database cannot be used; the database is unchanged.
    """
    db_path = Path(db_path)
    report = ImportReport()
    started = time.perf_counter()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    iterator = iter(rows)
    _prepare_folder(db_path)
    # closing(): on any failure the generators' finally blocks run now (closing the file, stopping workers).
    with contextlib.closing(iterator) if hasattr(iterator, "close") else contextlib.nullcontext(), \
            import_lock(db_path):
        header = functools.partial(_read_header, rules=rules, header_rules=header_rules, report=report)
        valid = _valid_rows(iterator, header, report, on_reject, on_progress, bytes_read, started, workers)
        with contextlib.closing(valid), _storage_errors(db_path):
            # Decided under the lock: two imports into a new path both saw "missing" before, and the
            # later rename replaced the first one's database (every import still exited 0).
            if db_path.exists():
                problem = database_problem(db_path)
                if problem:
                    raise ImportFileError(f"{problem}; import into a new file or remove it")
                _write_existing(db_path, valid, report, rules)
            else:
                _write_fresh(db_path, valid, report, rules)
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
    header_rules: HeaderRules = HeaderRules(),
    bytes_read: Callable[[], int] = lambda: 0,
) -> ImportReport:
    """Validate (line, fields) rows, header first, as import_rows does, and hand the valid ones (rules.columns
    order) to write(valid, report), which stores them all or none and counts report.imported
    (report.present_columns says which columns the file had).

    :raise ImportFileError: the file or the store cannot be used; the store is unchanged.
    """
    report = ImportReport()
    started = time.perf_counter()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    iterator = iter(rows)
    with contextlib.closing(iterator) if hasattr(iterator, "close") else contextlib.nullcontext():
        header = functools.partial(_read_header, rules=rules, header_rules=header_rules, report=report)
        valid = _valid_rows(iterator, header, report, on_reject, on_progress, bytes_read, started, workers)
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


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file from its header line: the most frequent of DELIMITERS there, ',' if none.

    Header cells are field names, which hold no delimiters in practice, so counting them is reliable where
    guessing from the data (csv.Sniffer) is thrown off by commas inside quoted addresses and names.
    """
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


class CsvFile:
    """A UTF-8 CSV file: its records as (line where the record starts, fields), header first; the delimiter
    detected from the header unless given; how many bytes have been read so far, for progress."""

    def __init__(self, path: Path, delimiter: str | None = None):
        self.path = Path(path)
        if delimiter is not None and delimiter not in DELIMITERS:
            names = ", ".join(_DELIMITER_NAMES[d] for d in DELIMITERS)
            raise ImportFileError(f"delimiter {delimiter!r} is not one of {names}")
        self.delimiter = delimiter
        self._binary = None

    @property
    def size(self) -> int:
        """The file's size in bytes (0 when it cannot be read)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def bytes_read(self) -> int:
        """Bytes read from the file so far (ahead of the rows checked by at most a buffer and a few chunks)."""
        binary = self._binary
        try:
            return binary.tell() if binary is not None and not binary.closed else 0
        except (OSError, ValueError):
            return 0

    def rows(self) -> Iterator[tuple[int, list[str] | UnreadableRow]]:
        """(line, fields) for each record, header first; a record with a field over the csv module's size
        limit comes as UnreadableRow (a rejected row)."""
        try:
            self._binary = open(self.path, "rb")
        except OSError as exc:
            raise ImportFileError(f"cannot read {self.path}: {exc.strerror}") from None
        # surrogateescape: bad bytes are found per line by _bounded_lines, not per 8 KiB decoding chunk,
        # which reported them at the line the chunk started on.
        with self._binary as binary, io.TextIOWrapper(
            binary, encoding="utf-8-sig", errors="surrogateescape", newline=""
        ) as handle:
            if self.delimiter is None:
                self.delimiter = detect_delimiter(handle.readline(MAX_LINE_CHARS + 1))
                handle.seek(0)
            reader = csv.reader(_bounded_lines(handle, self.path), delimiter=self.delimiter, strict=True)
            line = 1
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if "field larger than field limit" not in str(exc):
                        raise ImportFileError(f"{self.path} line {reader.line_num}: {exc}") from None
                    # The reader drops the rest of that line and goes on with the next one.
                    fields = UnreadableRow(f"has a field over {csv.field_size_limit():,} characters")
                yield line, fields
                line = reader.line_num + 1


def csv_rows(path: Path, delimiter: str | None = None) -> Iterator[tuple[int, list[str] | UnreadableRow]]:
    """(line number where the record starts, fields) for each record of a UTF-8 CSV file, header first."""
    return CsvFile(path, delimiter).rows()


def import_csv(
    csv_path: Path, db_path: Path, rules: RowRules, *, delimiter: str | None = None, **options
) -> ImportReport:
    """Import a CSV file (delimiter detected unless given) whose header names our fields; see import_rows."""
    source = CsvFile(Path(csv_path), delimiter)
    return import_rows(source.rows(), db_path, rules, bytes_read=source.bytes_read, **options)
