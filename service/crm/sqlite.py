"""The embedded CRM: one SQLite file, read-only for the service, written only by `companion crm import`."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from schemas.record import BUILTIN_FIELDS
from schemas.record import EMAIL_KEY_COLUMN
from schemas.record import Column
from schemas.record import RecordField
from schemas.record import store_columns
from service.crm.base import KEY_ORDER
from service.crm.base import Lookup

log = logging.getLogger("companion.crm")

# PRAGMA application_id marks a file as ours ("ACRM"), so a wrong COMPANION_SQLITE_PATH fails at start-up
# rather than as "no such table" on the first call; user_version is the schema version:
#   1: the built-in fields only;
#   2: plus the custom fields of a fields file, listed in the customer_fields table (none is fine).
# The service reads both; `companion crm import` migrates a version-1 file to version 2.
APPLICATION_ID = 0x4143524D
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)

# The built-in record fields, in the response's order (schemas.record is the one source of the field list).
RECORD_FIELDS = tuple(field.name for field in BUILTIN_FIELDS)
# emailKey is the lower-cased e-mail the lookups compare with; the record keeps the address as imported.
COLUMNS = (*RECORD_FIELDS, EMAIL_KEY_COLUMN)
INTEGER_FIELDS = tuple(field.name for field in BUILTIN_FIELDS if field.type == "integer")
BOOLEAN_FIELDS = tuple(field.name for field in BUILTIN_FIELDS if field.type == "boolean")
_SQL_TYPES = {"string": ("TEXT", "''"), "integer": ("INTEGER", "0"), "boolean": ("INTEGER", "0")}
FIELDS_TABLE = "customer_fields"


def quoted(name: str) -> str:
    """A column name as an SQL identifier (field names are letters, digits and _; quoting keeps keywords safe)."""
    return '"' + name.replace('"', '""') + '"'


def column_sql(column: Column) -> str:
    """The column's definition in CREATE TABLE or ALTER TABLE ADD COLUMN."""
    sql_type, default = _SQL_TYPES[column.type]
    return f"{quoted(column.name)} {sql_type} NOT NULL DEFAULT {default}"


def create_table_sql(fields: tuple[RecordField, ...]) -> str:
    """CREATE TABLE for the customers of these record fields (built-in first, then custom)."""
    definitions = ",\n    ".join(column_sql(column) for column in store_columns(fields))
    return f"CREATE TABLE IF NOT EXISTS customers (\n    {definitions}\n)"


CREATE_TABLE = create_table_sql(BUILTIN_FIELDS)
# Indexes are separate statements so a fresh import can load the table first and index it once afterwards.
# The unique index on customerId is what `INSERT ... ON CONFLICT(customerId)` (the upsert) relies on.
# A shared phone, e-mail or account number gives the most recent contact (select_statements): each index
# holds its key in that order already, so a lookup reads one index entry instead of sorting the matches.
# The order a lookup takes the matches of a shared key in (the first one answers), and its indexes hold.
LATEST_FIRST = "lastContactAt DESC, customerId"
CREATE_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS customers_customerId ON customers (customerId)",
    *(f"CREATE INDEX IF NOT EXISTS customers_{column}_latest ON customers ({column}, {LATEST_FIRST})"
      for column in ("phone", "emailKey", "accountNumber")),
)
# The single-column indexes of files imported before; the next import replaces them with those above.
_OLD_INDEXES = ("customers_phone", "customers_emailKey", "customers_accountNumber")
# Which column each lookup key compares with.
KEY_COLUMNS = {"customerId": "customerId", "accountNumber": "accountNumber", "phone": "phone", "email": "emailKey"}
# A reader waits this long for a lock (only WAL recovery takes one); well inside the request deadline.
_BUSY_TIMEOUT_S = 0.5
_MMAP_BYTES = 1 << 30


class FieldsMismatch(ValueError):
    """The database's custom fields differ from the configured ones in a way an import cannot migrate."""


def select_statements(fields: tuple[RecordField, ...]) -> dict[str, str]:
    """Lookup key -> SELECT of the record's columns.

    Several customers may share a phone or an e-mail (a household, a shared mailbox): the most recently
    contacted one wins, ties broken by customerId, so the answer is the same on every call.
    """
    columns = ", ".join(quoted(field.name) for field in fields)
    return {
        key: f"SELECT {columns} FROM customers WHERE {column} = ? ORDER BY {LATEST_FIRST} LIMIT 1"
        for key, column in KEY_COLUMNS.items()
    }


def create_schema(connection: sqlite3.Connection, custom: tuple[RecordField, ...] = (), *, indexes: bool = True):
    """Create the customers table (and its indexes) and mark the file as a companion CRM database."""
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute(create_table_sql((*BUILTIN_FIELDS, *custom)))
    _write_fields_table(connection, custom)
    if indexes:
        create_indexes(connection)


def _write_fields_table(connection: sqlite3.Connection, custom: tuple[RecordField, ...]) -> None:
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {FIELDS_TABLE} (name TEXT PRIMARY KEY, type TEXT NOT NULL, position INTEGER)"
    )
    connection.execute(f"DELETE FROM {FIELDS_TABLE}")
    connection.executemany(
        f"INSERT INTO {FIELDS_TABLE} (name, type, position) VALUES (?, ?, ?)",
        [(field.name, field.type, position) for position, field in enumerate(custom)],
    )


def stored_fields(connection: sqlite3.Connection) -> dict[str, str]:
    """Custom field name -> type, as the database was last imported with ({} for schema version 1)."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version < 2:
        return {}
    rows = connection.execute(f"SELECT name, type FROM {FIELDS_TABLE} ORDER BY position").fetchall()
    return dict(rows)


def describe_fields(fields: dict[str, str]) -> str:
    """'loyaltyPoints (integer), churnRisk (boolean)' or 'no custom fields'."""
    return ", ".join(f"{name} ({kind})" for name, kind in fields.items()) or "no custom fields"


def field_changes(
    have: dict[str, str], custom: tuple[RecordField, ...], elsewhere: str
) -> tuple[list[RecordField], list[str]]:
    """(fields to add, names of fields to remove) to bring a store of the custom fields `have` (name -> type)
    to `custom`; the same rule for every store.

    :raise FieldsMismatch: a field changes type (its stored values cannot be kept meaningfully); the message
        suggests `elsewhere` (where else to import) or removing the field, importing, then adding it back.
    """
    want = {field.name: field.type for field in custom}
    changed = [name for name in want if name in have and have[name] != want[name]]
    if changed:
        raise FieldsMismatch(
            "; ".join(f"{name} is {have[name]} in the database and {want[name]} in the fields file" for name in changed)
            + f"; {elsewhere}, or remove the field, import, then add it back"
        )
    return [field for field in custom if field.name not in have], [name for name in have if name not in want]


def migrate_fields(connection: sqlite3.Connection, custom: tuple[RecordField, ...]) -> list[str]:
    """Bring an existing database (inside the caller's transaction) to these custom fields: new fields become
    columns with their default, removed fields' columns are dropped. Returns what changed, one line each.

    :raise FieldsMismatch: a field changes type (its stored values cannot be kept meaningfully).
    """
    have = stored_fields(connection)
    want = {field.name: field.type for field in custom}
    added, removed = field_changes(have, custom, "import into a new database file")
    changes = []
    for field in added:
        column = Column(field.name, field.type, field.default)
        connection.execute(f"ALTER TABLE customers ADD COLUMN {column_sql(column)}")
        changes.append(f"added field {field.name} ({field.type})")
    for name in removed:
        connection.execute(f"ALTER TABLE customers DROP COLUMN {quoted(name)}")
        changes.append(f"removed field {name}")
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if changes or version != SCHEMA_VERSION or list(have) != list(want):
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        _write_fields_table(connection, custom)
    if version != SCHEMA_VERSION:
        changes.insert(0, f"schema version {version} -> {SCHEMA_VERSION}")
    return changes


def create_indexes(connection: sqlite3.Connection) -> None:
    """The lookup indexes (no-ops when they exist), in place of any older ones."""
    for name in _OLD_INDEXES:
        connection.execute(f"DROP INDEX IF EXISTS {name}")
    for statement in CREATE_INDEXES:
        connection.execute(statement)


def read_only_uri(path: Path) -> str:
    """A file: URI that opens path read-only (and never creates it)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def database_problem(path: Path) -> str | None:
    """None when path is a companion CRM database of a version we read; otherwise what is wrong with it."""
    path = Path(path)
    if path.is_dir():
        return f"{path} is a directory, not a database file"
    if not path.is_file():
        where = "" if path.is_absolute() else f" (relative to the working directory {Path.cwd()})"
        return f"{path} does not exist{where}"
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=_BUSY_TIMEOUT_S)
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return f"{path} is not a readable SQLite database ({exc})"
    if application_id != APPLICATION_ID:
        return f"{path} is not a companion CRM database"
    if version not in READABLE_VERSIONS:
        return f"{path} has CRM schema version {version}; this version of the service reads version {SCHEMA_VERSION}"
    return None


def fields_problem(path: Path, custom: tuple[RecordField, ...]) -> str | None:
    """None when the database (a readable one: see database_problem) has these custom fields, with these types;
    otherwise how it differs and what to do."""
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=_BUSY_TIMEOUT_S)
        try:
            have = stored_fields(connection)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return f"{path} is not a readable SQLite database ({exc})"
    want = {field.name: field.type for field in custom}
    if have == want:
        return None
    return (
        f"{path} was imported with {describe_fields(have)}, but the fields file defines {describe_fields(want)}; "
        "re-import the CSV with `companion crm import --fields FILE` (it migrates the database), "
        "or point COMPANION_FIELDS_FILE at the file it was imported with"
    )


def row_to_record(row: tuple, fields: tuple[RecordField, ...] = BUILTIN_FIELDS) -> dict[str, object]:
    """A customers row (in `fields` order) as our record, booleans as booleans."""
    record = dict(zip((field.name for field in fields), row))
    for field in fields:
        if field.type == "boolean":
            record[field.name] = bool(record[field.name])
    return record


# How often a lookup checks, with one stat(), whether the database file was replaced or removed: an import
# into a new file moved into place, `mv new.sqlite3 crm.sqlite3`, or rm. Connections keep reading the file
# they opened, so after a change each one is closed and the new file opened instead.
FILE_CHECK_INTERVAL_S = 1.0


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at path, or None when there is none: a replaced file has a new one."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


class SqliteBackend:
    """Customer lookups in a SQLite file: read-only, pooled connections to the file now at the path.

    A connection serves one lookup at a time (threads or greenlets); idle ones are kept for the next
    lookup. Every FILE_CHECK_INTERVAL_S the path is checked: a replaced file is reopened, a missing
    one answers degraded, and a lookup that fails on a damaged file makes readiness fail until one works.
    """

    name = "sqlite"

    def __init__(self, path: Path, custom: tuple[RecordField, ...] = (), *, clock=time.monotonic):
        self.path = Path(path)
        self._fields = (*BUILTIN_FIELDS, *custom)
        self._select = select_statements(self._fields)
        self._uri = read_only_uri(self.path)
        self._clock = clock
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._identity = file_identity(self.path)
        self._checked_at = clock()
        self._idle: list[tuple[tuple[int, int], sqlite3.Connection]] = []
        self._open: set[sqlite3.Connection] = set()
        # The database error of the last lookup, cleared by the next lookup that works.
        self._failure: str | None = None

    # -- the file and its connections ----------------------------------------------------------------

    def _current_identity(self) -> tuple[int, int] | None:
        """The file's identity, checked at most every FILE_CHECK_INTERVAL_S; stale connections are closed."""
        now = self._clock()
        stale: list[sqlite3.Connection] = []
        with self._lock:
            if os.getpid() != self._pid:
                # Connections opened before gunicorn forked belong to the master; a worker opens its own.
                self._pid, self._idle, self._open = os.getpid(), [], set()
            if now - self._checked_at >= FILE_CHECK_INTERVAL_S:
                self._checked_at = now
                identity = file_identity(self.path)
                if identity != self._identity:
                    log.warning(
                        "CRM database file replaced; reopening" if identity else "CRM database file is missing",
                        extra={"path": str(self.path)},
                    )
                    self._identity, self._failure = identity, None
                    stale = [connection for _, connection in self._idle]
                    self._idle = []
                    self._open.difference_update(stale)
            identity = self._identity
        for connection in stale:
            connection.close()
        return identity

    def _open_connection(self) -> sqlite3.Connection:
        # check_same_thread=False: a pooled connection serves whichever thread takes it next.
        connection = sqlite3.connect(self._uri, uri=True, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)
        try:
            # The file is written by `companion crm import` in WAL mode, so readers never wait for it and
            # always see the last committed import, never part of one.
            connection.execute("PRAGMA query_only = ON")
            # Pages are read through one shared memory map instead of being copied into each connection's
            # page cache: a cold lookup on a 1M-row file is 4x faster. The importer never shrinks the file
            # (no VACUUM), the case where a map would fault; a replaced file is a new inode, the old map stays.
            connection.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        except sqlite3.Error:
            connection.close()
            raise
        with self._lock:
            self._open.add(connection)
        return connection

    def _checkout(self, identity: tuple[int, int]) -> sqlite3.Connection:
        with self._lock:
            while self._idle:
                opened_on, connection = self._idle.pop()
                if opened_on == identity:
                    return connection
                self._open.discard(connection)
                connection.close()
        return self._open_connection()

    def _checkin(self, identity: tuple[int, int], connection: sqlite3.Connection, *, usable: bool) -> None:
        with self._lock:
            if usable and identity == self._identity and connection in self._open:
                self._idle.append((identity, connection))
                return
            self._open.discard(connection)
        connection.close()

    # -- CrmBackend ----------------------------------------------------------------------------------

    def lookup(self, keys: Mapping[str, str]) -> Lookup:
        """The customer matching the first given key in KEY_ORDER that matches anyone."""
        identity = self._current_identity()
        if identity is None:
            return Lookup(None, self.name, degraded=True, outcome="error",
                          reason=f"CRM database {self.path.name} is missing")
        connection = None
        try:
            connection = self._checkout(identity)
            row = None
            for key in KEY_ORDER:
                value = keys.get(key)
                if value:
                    row = connection.execute(self._select[key], (value,)).fetchone()
                    if row is not None:
                        break
        except sqlite3.Error as exc:
            # A damaged file: answer degraded now, with a fresh connection next time.
            log.warning("CRM database lookup failed", extra={"path": str(self.path), "error": str(exc)})
            self._failure = str(exc)
            if connection is not None:
                self._checkin(identity, connection, usable=False)
            return Lookup(None, self.name, degraded=True, outcome="error", reason=f"CRM database error: {exc}")
        self._failure = None
        self._checkin(identity, connection, usable=True)
        if row is None:
            return Lookup(record=None, source=self.name, outcome="miss")
        return Lookup(record=row_to_record(row, self._fields), source=self.name, outcome="hit")

    def readiness(self) -> str | None:
        """None while the database file is there, answers a query, and the last lookup did not fail."""
        identity = self._current_identity()
        if identity is None or not self.path.is_file():
            return f"CRM database {self.path} is missing"
        failure = self._failure
        if failure:
            return f"CRM database {self.path} is unusable: {failure}"
        connection = None
        try:
            connection = self._checkout(identity)
            connection.execute("SELECT 1 FROM customers LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            if connection is not None:
                self._checkin(identity, connection, usable=False)
            return f"CRM database {self.path} is unusable: {exc}"
        self._checkin(identity, connection, usable=True)
        return None

    def close(self) -> None:
        """Close every connection this process opened."""
        with self._lock:
            connections, self._open, self._idle = self._open, set(), []
            mine = os.getpid() == self._pid
        if mine:
            for connection in connections:
                connection.close()
