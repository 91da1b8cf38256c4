"""The shared PostgreSQL CRM's tables: the customers table, its indexes, and the schema-version table.

The columns are the SQLite store's (service.crm.sqlite.COLUMNS, derived from schemas/), so both stores
hold the same fields. Identifiers are quoted (camelCase stays camelCase: SELECT "firstName" ...). Text
columns use the "C" collation: PostgreSQL then compares and orders them byte by byte, as SQLite does,
so ties between customers who share a phone are broken the same way by both stores.
"""

from __future__ import annotations

from psycopg import sql

from service.crm.sqlite import BOOLEAN_FIELDS
from service.crm.sqlite import COLUMNS
from service.crm.sqlite import INTEGER_FIELDS
from service.crm.sqlite import KEY_COLUMNS
from service.crm.sqlite import RECORD_FIELDS

# Bumped whenever the tables change in a way an older service cannot read.
SCHEMA_VERSION = 1
TABLE = "customers"
# Written by `companion crm import` before it swaps it in as TABLE (service/crm/postgres_import.py).
STAGING_TABLE = "customers_import"
VERSION_TABLE = "companion_crm_schema"
# Which indexes the lookups need (index suffix -> column); the unique one is what the upsert relies on.
UNIQUE_INDEX = ("customerId", "customerId")
INDEXES = (("phone", "phone"), ("emailKey", "emailKey"), ("accountNumber", "accountNumber"))


def _column_type(name: str) -> sql.Composable:
    if name in INTEGER_FIELDS:
        return sql.SQL("integer NOT NULL DEFAULT 0")
    if name in BOOLEAN_FIELDS:
        return sql.SQL("boolean NOT NULL DEFAULT false")
    return sql.SQL("text COLLATE \"C\" NOT NULL DEFAULT ''")


def create_table(table: str) -> sql.Composed:
    """CREATE TABLE for the customers table under the given name (no indexes: they come after the load)."""
    columns = sql.SQL(",\n    ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), _column_type(name)) for name in COLUMNS)
    return sql.SQL("CREATE TABLE {} (\n    {}\n)").format(sql.Identifier(table), columns)


def index_name(table: str, suffix: str) -> str:
    return f"{table}_{suffix}"


def create_indexes(table: str) -> list[sql.Composed]:
    """The lookup indexes of `table`, named <table>_<suffix>."""
    suffix, column = UNIQUE_INDEX
    statements = [
        sql.SQL("CREATE UNIQUE INDEX {} ON {} ({})").format(
            sql.Identifier(index_name(table, suffix)), sql.Identifier(table), sql.Identifier(column))
    ]
    for suffix, column in INDEXES:
        statements.append(sql.SQL("CREATE INDEX {} ON {} ({})").format(
            sql.Identifier(index_name(table, suffix)), sql.Identifier(table), sql.Identifier(column)))
    return statements


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

# Several customers may share a phone or an e-mail: the most recently contacted one wins, ties broken by
# customerId; the same rule, in the same byte order, as the SQLite store (service/crm/sqlite.py).
# Rendered to text once: psycopg would otherwise compose the statement again on every lookup (about 100 us).
SELECT_BY_KEY = {
    key: sql.SQL("SELECT {fields} FROM {table} WHERE {column} = %s ORDER BY {last} DESC, {id} LIMIT 1").format(
        fields=sql.SQL(", ").join(map(sql.Identifier, RECORD_FIELDS)),
        table=sql.Identifier(TABLE),
        column=sql.Identifier(column),
        last=sql.Identifier("lastContactAt"),
        id=sql.Identifier("customerId"),
    ).as_string(None)
    for key, column in KEY_COLUMNS.items()
}


def schema_problem(connection) -> str | None:
    """None when the database holds a companion CRM of our schema version; otherwise what is wrong."""
    has_version, has_table = connection.execute(READ_VERSION).fetchone()
    if not has_version:
        if has_table:
            return f"the database has a {TABLE} table but no {VERSION_TABLE} table: it is not a companion CRM"
        return "the database has no companion CRM tables yet"
    version = connection.execute(SELECT_VERSION).fetchone()[0]
    if version != SCHEMA_VERSION:
        return (f"the database has CRM schema version {version}; "
                f"this version of the service reads version {SCHEMA_VERSION}")
    if not has_table:
        return f"the database has no {TABLE} table"
    return None
