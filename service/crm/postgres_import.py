"""CSV import into the shared PostgreSQL CRM: the same validation and report as for SQLite
(service.crm.importer), rows sent with COPY, all of an import or none of it visible to the service.

Replace (the default): COPY into a new staging table, index it, then in the same transaction drop the
old table and rename the staging table into its place. PostgreSQL's MVCC and DDL are transactional, so a
lookup on any instance sees either the old customers or the new ones, never a mix; lookups only wait for
the few milliseconds of the swap. Upsert: COPY into a temporary table, then one INSERT ... ON CONFLICT
(customerId) DO UPDATE, so customers missing from the file stay. Ctrl-C, a crash or a lost connection
before COMMIT roll everything back (https://www.postgresql.org/docs/current/tutorial-transactions.html).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

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
from service.crm.postgres_schema import CREATE_VERSION_TABLE
from service.crm.postgres_schema import READ_VERSION
from service.crm.postgres_schema import SCHEMA_VERSION
from service.crm.postgres_schema import SELECT_VERSION
from service.crm.postgres_schema import SET_VERSION
from service.crm.postgres_schema import STAGING_TABLE
from service.crm.postgres_schema import TABLE
from service.crm.postgres_schema import VERSION_TABLE
from service.crm.postgres_schema import create_indexes
from service.crm.postgres_schema import create_table
from service.crm.postgres_schema import rename_indexes
from service.crm.sqlite import APPLICATION_ID
from service.crm.sqlite import COLUMNS

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


def _connect(url: str) -> psycopg.Connection:
    problem = url_problem(url)
    if problem:
        raise ImportFileError(f"--database-url {problem}")
    try:
        return psycopg.connect(connection_string(url, CONNECT_TIMEOUT_S), autocommit=True)
    except psycopg.OperationalError as exc:
        raise ImportFileError(f"cannot connect to {describe_target(url)}: {first_line(exc)}") from None


def _store(connection: psycopg.Connection) -> _Store:
    has_version, has_table = connection.execute(READ_VERSION).fetchone()
    version = connection.execute(SELECT_VERSION).fetchone()[0] if has_version else None
    return _Store(has_table, version)


def _check_store(store: _Store, target: str) -> None:
    if store.has_table and store.version is None:
        raise ImportFileError(f"{target} has a {TABLE} table but no {VERSION_TABLE} table: it is not a companion CRM; "
                              "import into another database")
    if store.version is not None and store.version != SCHEMA_VERSION:
        raise ImportFileError(f"{target} has CRM schema version {store.version}; this version imports version "
                              f"{SCHEMA_VERSION}")


def _copy_rows(cursor: psycopg.Cursor, table: str, rows: Iterator[tuple], report: ImportReport) -> None:
    statement = sql.SQL(_COPY_SQL).format(sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS)))
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            report.imported += 1


def _replace(cursor: psycopg.Cursor, rows: Iterator[tuple], report: ImportReport, store: _Store) -> None:
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGING_TABLE)))
    cursor.execute(create_table(STAGING_TABLE))
    _copy_rows(cursor, STAGING_TABLE, rows, report)
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


def _upsert(cursor: psycopg.Cursor, rows: Iterator[tuple], report: ImportReport, store: _Store) -> None:
    if not store.has_table:
        _replace(cursor, rows, report, store)  # nothing to keep: a fresh table is the same and faster
        return
    cursor.execute(sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP").format(
        sql.Identifier(_UPSERT_TABLE), sql.Identifier(TABLE)))
    _copy_rows(cursor, _UPSERT_TABLE, rows, report)
    if not report.imported:
        return
    columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    # Columns the file leaves out keep their values (service.crm.importer.updated_columns).
    updated = updated_columns(report.present_columns, COLUMNS)
    updates = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(name)) for name in updated)
    cursor.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
    action = sql.SQL("DO UPDATE SET {}").format(updates) if updated else sql.SQL("DO NOTHING")
    cursor.execute(sql.SQL("INSERT INTO {table} ({columns}) SELECT {columns} FROM {source} "
                           "ON CONFLICT ({id}) {action}").format(
        table=sql.Identifier(TABLE), columns=columns, source=sql.Identifier(_UPSERT_TABLE),
        id=sql.Identifier("customerId"), action=action))


def postgres_writer(url: str, *, upsert: bool = False):
    """A write(valid_rows, report) for service.crm.importer.validate_into that stores into the database at url."""

    def write(rows: Iterator[tuple], report: ImportReport) -> None:
        target = describe_target(url)
        connection = _connect(url)
        with connection:
            if not connection.execute("SELECT pg_try_advisory_lock(%s)", (IMPORT_LOCK_KEY,)).fetchone()[0]:
                raise ImportFileError(f"{target} is being written by another import")
            store = _store(connection)
            _check_store(store, target)
            try:
                with connection.transaction(), connection.cursor() as cursor:
                    (_upsert if upsert else _replace)(cursor, rows, report, store)
                    if not report.imported:
                        raise psycopg.Rollback()
                    cursor.execute(CREATE_VERSION_TABLE)
                    cursor.execute(SET_VERSION)
            except psycopg.errors.LockNotAvailable:
                raise ImportFileError(f"a long-running query on {target} holds the {TABLE} table; try again") from None
            except psycopg.Error as exc:
                raise ImportFileError(f"{target}: {first_line(exc)}") from None
            report.created = not store.has_table and report.imported > 0

    return write


def import_csv_postgres(
    csv_path: Path, url: str, rules: RowRules, *, upsert: bool = False, **callbacks
) -> ImportReport:
    """Import a CSV file into the PostgreSQL CRM at url: every customer replaced, or upserted by customerId.

    :raise ImportFileError: the file or the database cannot be used; the database is unchanged.
    """
    return validate_into(postgres_writer(url, upsert=upsert), csv_rows(Path(csv_path)), rules, **callbacks)


def import_rows_postgres(rows, url: str, rules: RowRules, *, upsert: bool = False, **callbacks) -> ImportReport:
    """Import (line, fields) rows, header first (as service.crm.importer.import_rows takes them)."""
    return validate_into(postgres_writer(url, upsert=upsert), rows, rules, **callbacks)
