"""The shared PostgreSQL CRM's tables: the customers table, its indexes, the schema-version table and the
table of custom fields.

The columns are the SQLite store's (schemas.record.store_columns: the built-in record fields, the custom
fields of a fields file, the e-mail lookup key), so both stores hold the same fields. Identifiers are quoted
with psycopg.sql (camelCase stays camelCase: SELECT "firstName" ...). Text columns use the "C" collation:
PostgreSQL then compares and orders them byte by byte, as SQLite does, so ties between customers who share
a phone are broken the same way by both stores.

Schema versions (one row in VERSION_TABLE), as the SQLite store's PRAGMA user_version:
  1: the built-in fields only;
  2: plus the custom fields of a fields file, listed in FIELDS_TABLE (none is fine).
The service reads both; `companion crm import` migrates a version-1 database to version 2.
"""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql

from schemas.record import BUILTIN_FIELDS
from schemas.record import Column
from schemas.record import RecordField
from schemas.record import record_fields
from schemas.record import store_columns
from service.crm.sqlite import KEY_COLUMNS
from service.crm.sqlite import describe_fields

# Bumped whenever the tables change in a way an older service cannot read.
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
TABLE = "customers"
# Written by `companion crm import` before it swaps it in as TABLE (service/crm/postgres_import.py).
STAGING_TABLE = "customers_import"
VERSION_TABLE = "companion_crm_schema"
# The custom fields TABLE was imported with: name, type, position (schema version 2).
FIELDS_TABLE = "companion_crm_fields"
# Which indexes the lookups need (index suffix -> column); the unique one is what the upsert relies on.
UNIQUE_INDEX = ("customerId", "customerId")
# A shared phone, e-mail or account number answers the most recent contact (select_statements): each lookup
# index holds its key in that order, so PostgreSQL reads the first matching entry instead of sorting the
# matches (https://www.postgresql.org/docs/current/indexes-ordering.html).
INDEXES = (("phone_latest", "phone"), ("emailKey_latest", "emailKey"), ("accountNumber_latest", "accountNumber"))
# The single-column lookup indexes of tables imported before; the next upsert replaces them (a replace
# import builds a new table anyway).
OLD_INDEXES = ("phone", "emailKey", "accountNumber")

# Integers are 64-bit (schemas.record.INTEGER_RANGE): bigint, the 8-byte integer type
# (https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-INT).
_SQL_TYPES = {
    "string": sql.SQL("text COLLATE \"C\" NOT NULL DEFAULT ''"),
    "integer": sql.SQL("bigint NOT NULL DEFAULT 0"),
    "boolean": sql.SQL("boolean NOT NULL DEFAULT false"),
}


def column_definition(column: Column) -> sql.Composed:
    """The column's definition in CREATE TABLE or ALTER TABLE ... ADD COLUMN."""
    return sql.SQL("{} {}").format(sql.Identifier(column.name), _SQL_TYPES[column.type])


def create_table(table: str, custom: tuple[RecordField, ...] = (), *, temporary: bool = False) -> sql.Composed:
    """CREATE TABLE for the customers table of these custom fields under the given name (no indexes: they
    come after the load); a temporary one is dropped at COMMIT."""
    columns = sql.SQL(",\n    ").join(
        column_definition(column) for column in store_columns(record_fields(custom)))
    if temporary:
        return sql.SQL("CREATE TEMPORARY TABLE {} (\n    {}\n) ON COMMIT DROP").format(sql.Identifier(table), columns)
    return sql.SQL("CREATE TABLE {} (\n    {}\n)").format(sql.Identifier(table), columns)


def add_column(field: RecordField) -> sql.Composed:
    """ALTER TABLE ... ADD COLUMN for a new custom field: existing customers get its default. A constant
    default costs no table rewrite (https://www.postgresql.org/docs/current/sql-altertable.html, Notes)."""
    return sql.SQL("ALTER TABLE {} ADD COLUMN {}").format(
        sql.Identifier(TABLE), column_definition(Column(field.name, field.type, field.default)))


def drop_column(name: str) -> sql.Composed:
    """ALTER TABLE ... DROP COLUMN for a removed custom field (the space is reclaimed by later writes)."""
    return sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(sql.Identifier(TABLE), sql.Identifier(name))


def index_name(table: str, suffix: str) -> str:
    return f"{table}_{suffix}"


# The order a lookup takes the matches of a shared key in (the first one answers), and its indexes hold.
_LATEST_FIRST = sql.SQL("{} DESC, {}").format(sql.Identifier("lastContactAt"), sql.Identifier("customerId"))


def _lookup_index(table: str, suffix: str, column: str, *, if_not_exists: bool = False) -> sql.Composed:
    return sql.SQL("CREATE INDEX {exists}{name} ON {table} ({column}, {order})").format(
        exists=sql.SQL("IF NOT EXISTS " if if_not_exists else ""), name=sql.Identifier(index_name(table, suffix)),
        table=sql.Identifier(table), column=sql.Identifier(column), order=_LATEST_FIRST)


def create_indexes(table: str) -> list[sql.Composed]:
    """The lookup indexes of `table`, named <table>_<suffix>."""
    suffix, column = UNIQUE_INDEX
    statements = [
        sql.SQL("CREATE UNIQUE INDEX {} ON {} ({})").format(
            sql.Identifier(index_name(table, suffix)), sql.Identifier(table), sql.Identifier(column))
    ]
    statements.extend(_lookup_index(table, suffix, column) for suffix, column in INDEXES)
    return statements


def add_missing_indexes(table: str) -> list[sql.Composed]:
    """CREATE INDEX IF NOT EXISTS for each lookup index `table` may lack (one imported before they existed)."""
    return [_lookup_index(table, suffix, column, if_not_exists=True) for suffix, column in INDEXES]


def drop_old_indexes(table: str) -> list[sql.Composed]:
    """DROP INDEX IF EXISTS for the single-column lookup indexes older imports made."""
    return [sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index_name(table, suffix)))
            for suffix in OLD_INDEXES]


def rename_indexes(old_table: str, new_table: str) -> list[sql.Composed]:
    """ALTER INDEX ... RENAME for every lookup index, from <old_table>_x to <new_table>_x."""
    return [
        sql.SQL("ALTER INDEX {} RENAME TO {}").format(
            sql.Identifier(index_name(old_table, suffix)), sql.Identifier(index_name(new_table, suffix)))
        for suffix, _column in (UNIQUE_INDEX, *INDEXES)
    ]


CREATE_VERSION_TABLE = sql.SQL("CREATE TABLE IF NOT EXISTS {} (version integer NOT NULL)").format(
    sql.Identifier(VERSION_TABLE))
SET_VERSION = sql.SQL("DELETE FROM {table}; INSERT INTO {table} (version) VALUES ({version})").format(
    table=sql.Identifier(VERSION_TABLE), version=sql.Literal(SCHEMA_VERSION))
# to_regclass is NULL for a missing table, so one query tells "not ours" from "ours, version N".
READ_VERSION = sql.SQL("SELECT to_regclass({version_table}) IS NOT NULL, to_regclass({table}) IS NOT NULL").format(
    version_table=sql.Literal(VERSION_TABLE), table=sql.Literal(TABLE))
SELECT_VERSION = sql.SQL("SELECT max(version) FROM {}").format(sql.Identifier(VERSION_TABLE))
CREATE_FIELDS_TABLE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, type text NOT NULL, position integer NOT NULL)"
).format(sql.Identifier(FIELDS_TABLE))
SELECT_FIELDS = sql.SQL("SELECT name, type FROM {} ORDER BY position").format(sql.Identifier(FIELDS_TABLE))


def write_fields(cursor, custom: tuple[RecordField, ...]) -> None:
    """Record (inside the caller's transaction) that the customers table has these custom fields, and the
    schema version that says so."""
    cursor.execute(CREATE_VERSION_TABLE)
    cursor.execute(SET_VERSION)
    cursor.execute(CREATE_FIELDS_TABLE)
    cursor.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(FIELDS_TABLE)))
    if custom:
        cursor.executemany(
            sql.SQL("INSERT INTO {} (name, type, position) VALUES (%s, %s, %s)").format(sql.Identifier(FIELDS_TABLE)),
            [(field.name, field.type, position) for position, field in enumerate(custom)])


def stored_fields(connection, version: int) -> dict[str, str]:
    """Custom field name -> type, as the database was last imported with ({} for schema version 1)."""
    if version < 2:
        return {}
    return dict(connection.execute(SELECT_FIELDS).fetchall())


def select_by_key(fields: Iterable[RecordField]) -> dict[str, str]:
    """Lookup key -> SELECT of these record fields, rendered to text once (psycopg would otherwise compose
    the statement again on every lookup, about 100 us).

    Several customers may share a phone or an e-mail: the most recently contacted one wins, ties broken by
    customerId; the same rule, in the same byte order, as the SQLite store (service/crm/sqlite.py).
    """
    names = sql.SQL(", ").join(sql.Identifier(field.name) for field in fields)
    return {
        key: sql.SQL("SELECT {fields} FROM {table} WHERE {column} = %s ORDER BY {order} LIMIT 1").format(
            fields=names, table=sql.Identifier(TABLE), column=sql.Identifier(column), order=_LATEST_FIRST,
        ).as_string(None)
        for key, column in KEY_COLUMNS.items()
    }


# The built-in fields' lookups.
SELECT_BY_KEY = select_by_key(BUILTIN_FIELDS)


def read_version(connection) -> tuple[bool, bool, int | None]:
    """(has the version table, has the customers table, the schema version or None)."""
    has_version, has_table = connection.execute(READ_VERSION).fetchone()
    version = connection.execute(SELECT_VERSION).fetchone()[0] if has_version else None
    return has_version, has_table, version


def schema_problem(connection) -> str | None:
    """None when the database holds a companion CRM of a schema version we read; otherwise what is wrong."""
    has_version, has_table, version = read_version(connection)
    if not has_version:
        if has_table:
            return f"the database has a {TABLE} table but no {VERSION_TABLE} table: it is not a companion CRM"
        return "the database has no companion CRM tables yet"
    if version not in READABLE_VERSIONS:
        return (f"the database has CRM schema version {version}; "
                f"this version of the service reads version {SCHEMA_VERSION}")
    if not has_table:
        return f"the database has no {TABLE} table"
    return None


def fields_problem(connection, custom: tuple[RecordField, ...]) -> str | None:
    """None when the database (one schema_problem accepts) was imported with these custom fields, of these
    types; otherwise how it differs and what to do."""
    _has_version, _has_table, version = read_version(connection)
    have = stored_fields(connection, version)
    want = {field.name: field.type for field in custom}
    if have == want:
        return None
    return (
        f"the database was imported with {describe_fields(have)}, but the fields file defines "
        f"{describe_fields(want)}; re-import the CSV with `companion crm import --database-url URL --fields FILE` "
        "(it migrates the database), or point COMPANION_FIELDS_FILE at the file it was imported with"
    )


def served_fields_problem(connection, custom: tuple[RecordField, ...]) -> str | None:
    """None when the database still has every custom field a service started with (an import may have added
    others since: lookups do not read them); otherwise which ones it lost. No query without custom fields."""
    if not custom:
        return None
    _has_version, _has_table, version = read_version(connection)
    have = stored_fields(connection, version)
    lost = [field for field in custom if have.get(field.name) != field.type]
    if not lost:
        return None
    return (f"the database no longer has the custom field(s) {describe_fields({f.name: f.type for f in lost})} "
            "(an import changed its fields); restart the service with the fields file it was imported with")
