"""CSV import into the shared PostgreSQL CRM: the same validation and report as for SQLite
(service.crm.importer), rows sent with COPY, all of an import or none of it visible to the service.

Replace (the default): COPY into a new staging table, index it, then in the same transaction drop the
old table and rename the staging table into its place. PostgreSQL's MVCC and DDL are transactional, so a
lookup on any instance sees either the old customers or the new ones, never a mix; lookups only wait for
the few milliseconds of the swap. Upsert: COPY into a temporary table, then one INSERT ... ON CONFLICT
(customerId) DO UPDATE, so customers missing from the file stay. Ctrl-C, a crash or a lost connection
before COMMIT roll everything back (https://www.postgresql.org/docs/current/tutorial-transactions.html).

Custom fields (a fields file) follow the SQLite store's rules: a replace builds the new table with the
fields' columns; an upsert adds a new field's column (its default for every customer the file does not set)
and drops a removed field's column; both record the fields (service.crm.postgres_schema.FIELDS_TABLE) in the
same transaction, and a field that changes type is refused before anything is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from schemas.record import RecordField
from service.crm.importer import ImportFileError
from service.crm.importer import ImportReport
from service.crm.importer import RowRules
from service.crm.importer import csv_rows
from service.crm.importer import updated_columns
from service.crm.importer import validate_into
from service.crm.postgres import first_line
from service.crm.postgres import connection_string
from service.crm.postgres import describe_target
from service.crm.postgres import url_problem
from service.crm.postgres_schema import FIELDS_TABLE
from service.crm.postgres_schema import READABLE_VERSIONS
from service.crm.postgres_schema import SCHEMA_VERSION
from service.crm.postgres_schema import STAGING_TABLE
from service.crm.postgres_schema import TABLE
from service.crm.postgres_schema import VERSION_TABLE
from service.crm.postgres_schema import add_column
from service.crm.postgres_schema import add_missing_indexes
from service.crm.postgres_schema import create_indexes
from service.crm.postgres_schema import create_table
from service.crm.postgres_schema import drop_column
from service.crm.postgres_schema import drop_old_indexes
from service.crm.postgres_schema import read_version
from service.crm.postgres_schema import rename_indexes
from service.crm.postgres_schema import stored_fields
from service.crm.postgres_schema import write_fields
from service.crm.sqlite import APPLICATION_ID
from service.crm.sqlite import FieldsMismatch
from service.crm.sqlite import field_changes

# Session advisory lock held for the whole import: a second import, from any host, is refused at once.
IMPORT_LOCK_KEY = APPLICATION_ID
CONNECT_TIMEOUT_S = 10
# The swap waits at most this long for running lookups (or anyone's long query) to release the table;
# lookups queue behind the swap meanwhile, so it must stay well inside their deadline.
SWAP_LOCK_TIMEOUT = "1s"
_UPSERT_TABLE = "customers_upsert"
_COPY_SQL = "COPY {} ({}) FROM STDIN"


@dataclasses.dataclass(frozen=True)
class _Store:
    """What the database holds before the import."""

    has_table: bool
    version: int | None
    # The custom fields the customers table has (name -> type); {} for schema version 1 and new databases.
    fields: dict[str, str]


@dataclasses.dataclass(frozen=True)
class _Plan:
    """What this import writes: the store's columns, the custom fields, and those to add or remove."""

    columns: tuple[str, ...]
    custom: tuple[RecordField, ...]
    added: list[RecordField]
    removed: list[str]

    def changes(self, store: _Store) -> tuple[str, ...]:
        """What the import changes in an existing database, one line each (as the SQLite import says them)."""
        if not store.has_table:
            return ()
        lines = [f"added field {field.name} ({field.type})" for field in self.added]
        lines += [f"removed field {name}" for name in self.removed]
        if store.version != SCHEMA_VERSION:
            lines.insert(0, f"schema version {store.version} -> {SCHEMA_VERSION}")
        return tuple(lines)


def _connect(url: str) -> psycopg.Connection:
    problem = url_problem(url)
    if problem:
        raise ImportFileError(f"--database-url {problem}")
    try:
        return psycopg.connect(connection_string(url, CONNECT_TIMEOUT_S), autocommit=True)
    except psycopg.OperationalError as exc:
        raise ImportFileError(f"cannot connect to {describe_target(url)}: {first_line(exc)}") from None


def _store(connection: psycopg.Connection, target: str) -> _Store:
    has_version, has_table, version = read_version(connection)
    if has_table and not has_version:
        raise ImportFileError(f"{target} has a {TABLE} table but no {VERSION_TABLE} table: it is not a companion CRM; "
                              "import into another database")
    if version is not None and version not in READABLE_VERSIONS:
        raise ImportFileError(f"{target} has CRM schema version {version}; this version imports version "
                              f"{SCHEMA_VERSION}")
    fields = stored_fields(connection, version) if has_table else {}
    return _Store(has_table, version, fields)


def _plan(store: _Store, rules: RowRules, target: str) -> _Plan:
    try:
        added, removed = field_changes(store.fields, rules.custom, "import into another database")
    except FieldsMismatch as exc:
        raise ImportFileError(f"{target}: {exc}") from None
    return _Plan(rules.columns, rules.custom, added, removed)


def _copy_rows(cursor: psycopg.Cursor, table: str, columns: tuple[str, ...], rows: Iterator[tuple],
               report: ImportReport) -> None:
    statement = sql.SQL(_COPY_SQL).format(sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            report.imported += 1


def _replace(cursor: psycopg.Cursor, rows: Iterator[tuple], report: ImportReport, store: _Store, plan: _Plan) -> None:
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGING_TABLE)))
    cursor.execute(create_table(STAGING_TABLE, plan.custom))
    _copy_rows(cursor, STAGING_TABLE, plan.columns, rows, report)
    if not report.imported:
        return
    for statement in create_indexes(STAGING_TABLE):
        cursor.execute(statement)
    # Planner statistics come with the new table, so the first lookups after the swap use the indexes.
    cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(STAGING_TABLE)))
    if store.has_table:
        _copy_grants(cursor, TABLE, STAGING_TABLE)
    cursor.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
    if store.has_table:
        cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(TABLE)))
    cursor.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(STAGING_TABLE), sql.Identifier(TABLE)))
    for statement in rename_indexes(STAGING_TABLE, TABLE):
        cursor.execute(statement)


# Every privilege on a table other than its owner's, one row per (grantee, privilege); grantee 0 is PUBLIC.
# aclexplode: https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-ACLITEM-FN-TABLE
_GRANTS = (
    "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE a.grantee::regrole::text END, a.privilege_type, a.is_grantable "
    "FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = to_regclass(%s) AND a.grantee <> c.relowner"
)


def _copy_grants(cursor: psycopg.Cursor, source: str, target: str) -> None:
    """GRANT on target what source grants to others, so the service's read-only role keeps reading after a
    replace (the new table would otherwise be readable by its owner alone)."""
    for role, privilege, grantable in cursor.execute(_GRANTS, (source,)).fetchall():
        # role comes from the catalog as regrole text, already quoted where it needs to be.
        cursor.execute(sql.SQL("GRANT {} ON {} TO {}{}").format(
            sql.SQL(privilege), sql.Identifier(target), sql.SQL(role) if role else sql.SQL("PUBLIC"),
            sql.SQL(" WITH GRANT OPTION") if grantable else sql.SQL("")))


def _upsert(cursor: psycopg.Cursor, rows: Iterator[tuple], report: ImportReport, store: _Store, plan: _Plan) -> None:
    if not store.has_table:
        _replace(cursor, rows, report, store, plan)  # nothing to keep: a fresh table is the same and faster
        return
    # The temporary table has the new fields' columns already; the customers table gets them only after the
    # COPY, so the ALTER's lock, which lookups wait for until COMMIT, is not held while the rows stream in.
    cursor.execute(create_table(_UPSERT_TABLE, plan.custom, temporary=True))
    _copy_rows(cursor, _UPSERT_TABLE, plan.columns, rows, report)
    if not report.imported:
        return
    # A table imported before the ordered lookup indexes gets them now. CREATE INDEX takes a SHARE lock,
    # which lookups (ACCESS SHARE) pass; the old indexes go last, as DROP INDEX's lock stops lookups until
    # COMMIT (https://www.postgresql.org/docs/current/explicit-locking.html,
    # https://www.postgresql.org/docs/current/sql-dropindex.html).
    for statement in add_missing_indexes(TABLE):
        cursor.execute(statement)
    cursor.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
    for field in plan.added:
        cursor.execute(add_column(field))
    for name in plan.removed:
        cursor.execute(drop_column(name))
    columns = sql.SQL(", ").join(map(sql.Identifier, plan.columns))
    # Columns the file leaves out keep their values (service.crm.importer.updated_columns); a new field's
    # column holds its default for the customers the file does not name.
    updated = updated_columns(report.present_columns, plan.columns)
    updates = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(name)) for name in updated)
    action = sql.SQL("DO UPDATE SET {}").format(updates) if updated else sql.SQL("DO NOTHING")
    cursor.execute(sql.SQL("INSERT INTO {table} ({columns}) SELECT {columns} FROM {source} "
                           "ON CONFLICT ({id}) {action}").format(
        table=sql.Identifier(TABLE), columns=columns, source=sql.Identifier(_UPSERT_TABLE),
        id=sql.Identifier("customerId"), action=action))
    for statement in drop_old_indexes(TABLE):
        cursor.execute(statement)


def _record_fields(cursor: psycopg.Cursor, store: _Store, plan: _Plan) -> None:
    """The schema version and the custom fields, readable by whoever could read the schema version so far
    (the service's read-only role reads both at start-up)."""
    write_fields(cursor, plan.custom)
    if store.version is not None:
        _copy_grants(cursor, VERSION_TABLE, FIELDS_TABLE)


def postgres_writer(url: str, rules: RowRules, *, upsert: bool = False):
    """A write(valid_rows, report) for service.crm.importer.validate_into that stores into the database at url,
    bringing its custom fields to rules.custom."""

    def write(rows: Iterator[tuple], report: ImportReport) -> None:
        target = describe_target(url)
        connection = _connect(url)
        with connection:
            if not connection.execute("SELECT pg_try_advisory_lock(%s)", (IMPORT_LOCK_KEY,)).fetchone()[0]:
                raise ImportFileError(f"{target} is being written by another import")
            try:
                store = _store(connection, target)
                plan = _plan(store, rules, target)
                with connection.transaction(), connection.cursor() as cursor:
                    (_upsert if upsert else _replace)(cursor, rows, report, store, plan)
                    if not report.imported:
                        raise psycopg.Rollback()
                    _record_fields(cursor, store, plan)
            except psycopg.errors.LockNotAvailable:
                raise ImportFileError(f"a long-running query on {target} holds the {TABLE} table; try again") from None
            except psycopg.Error as exc:
                raise ImportFileError(f"{target}: {first_line(exc)}") from None
            report.created = not store.has_table and report.imported > 0
            if report.imported:
                report.migrations = plan.changes(store)

    return write


def import_csv_postgres(
    csv_path: Path, url: str, rules: RowRules, *, upsert: bool = False, **callbacks
) -> ImportReport:
    """Import a CSV file into the PostgreSQL CRM at url: every customer replaced, or upserted by customerId.

    :raise ImportFileError: the file or the database cannot be used; the database is unchanged.
    """
    return validate_into(postgres_writer(url, rules, upsert=upsert), csv_rows(Path(csv_path)), rules, **callbacks)


def import_rows_postgres(rows, url: str, rules: RowRules, *, upsert: bool = False, **callbacks) -> ImportReport:
    """Import (line, fields) rows, header first (as service.crm.importer.import_rows takes them)."""
    return validate_into(postgres_writer(url, rules, upsert=upsert), rows, rules, **callbacks)
