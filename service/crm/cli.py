"""`companion crm import` and `companion crm demo`: fill the embedded SQLite CRM."""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import click

from service.config import ConfigError
from service.config import Settings
from service.config import load_settings

# The only settings these commands read; API keys and the trace secret are the server's business.
CRM_SETTINGS = ("COMPANION_SQLITE_PATH", "COMPANION_DATABASE_URL", "COMPANION_DEFAULT_REGION", "COMPANION_TIERS")
# Progress redraws at most this often on a terminal.
PROGRESS_INTERVAL_S = 0.2
# Exit codes: 0 imported (some rows may have been rejected and are listed), 1 nothing imported,
# 2 usage error (click), 130 interrupted with Ctrl-C (the database is unchanged).
EXIT_NOTHING_IMPORTED = 1
EXIT_INTERRUPTED = 130


def crm_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings with only CRM_SETTINGS read from the environment (validated like the server's)."""
    environ = os.environ if environ is None else environ
    subset = {name: environ[name] for name in CRM_SETTINGS if name in environ}
    # Which store to fill; the http backend's own settings are the server's business, not an import's.
    if environ.get("COMPANION_CRM_BACKEND", "").strip() in ("sqlite", "postgres"):
        subset["COMPANION_CRM_BACKEND"] = environ["COMPANION_CRM_BACKEND"].strip()
    # demo=True only lifts the server's API-key and trace-secret requirements, which these commands never use.
    return load_settings(subset, demo=True)


def _settings() -> Settings:
    try:
        return crm_settings()
    except ConfigError as exc:
        raise click.ClickException(f"invalid configuration:\n{exc}") from None


class _Progress:
    """Rows/s and rejects on one redrawn stderr line, only when stderr is a terminal."""

    def __init__(self):
        self.enabled = sys.stderr.isatty()
        self.last = 0.0
        self.drawn = False

    def __call__(self, progress) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < PROGRESS_INTERVAL_S and not progress.done):
            return
        self.last = now
        rate = progress.rows / progress.seconds if progress.seconds > 0 else 0.0
        click.echo(
            f"\r{progress.rows:,} rows read, {rate:,.0f} rows/s, {progress.rejected:,} rejected so far",
            err=True,
            nl=False,
        )
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            click.echo(err=True)


def _reject(rejected) -> None:
    click.echo(f"line {rejected.line}: {rejected.reason}", err=True)


@click.group("crm")
def crm_command():
    """The CRM store: import customers into SQLite (COMPANION_SQLITE_PATH) or PostgreSQL, create a demo database."""


@crm_command.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Database file (default: COMPANION_SQLITE_PATH); created when missing.")
@click.option("--database-url", metavar="URL",
              help="Import into this PostgreSQL database (libpq URL) instead of SQLite; the default with "
                   "COMPANION_CRM_BACKEND=postgres is COMPANION_DATABASE_URL.")
@click.option("--upsert", is_flag=True,
              help="PostgreSQL: update and add customers by customerId, keep the others (default: the file "
                   "replaces every customer). SQLite always upserts into an existing file.")
def import_command(csv_file: Path, db_path: Path | None, database_url: str | None, upsert: bool):
    """Validate FILE.csv and store its valid rows, all in one transaction.

    SQLite: upsert by customerId (a missing file is created). PostgreSQL: the valid rows replace every
    customer (or, with --upsert, are upserted), swapped in at once on every instance.
    Each rejected row is listed on stderr with its line number and reason; the valid rows are still
    imported. Exit code 0 when rows were imported, 1 when none were (or the file is unusable), 130 on
    Ctrl-C. Whatever happens (Ctrl-C, crash, kill), the database has all the valid rows or none of them.
    """
    from service.crm.importer import ImportFileError
    from service.crm.importer import RowRules
    from service.crm.importer import import_csv

    settings = _settings()
    if database_url is None and settings.crm_backend == "postgres" and db_path is None:
        database_url = settings.database_url
    if database_url is not None and db_path is not None:
        raise click.UsageError("give --db (SQLite) or --database-url (PostgreSQL), not both")
    rules = RowRules(settings.tiers, settings.default_region)
    progress = _Progress()
    if database_url is not None:
        from service.crm.postgres import describe_target
        from service.crm.postgres_import import import_csv_postgres

        target = describe_target(database_url)
        store = functools.partial(import_csv_postgres, csv_file, database_url, rules, upsert=upsert)
    else:
        db_path = db_path or settings.sqlite_path
        target = str(db_path)
        store = functools.partial(import_csv, csv_file, db_path, rules)
    try:
        report = store(on_reject=_reject, on_progress=progress)
    except ImportFileError as exc:
        progress.finish()
        click.echo(f"error: {exc}; {target} is unchanged", err=True)
        sys.exit(EXIT_NOTHING_IMPORTED)
    except KeyboardInterrupt:
        progress.finish()
        click.echo(f"interrupted; {target} is unchanged", err=True)
        sys.exit(EXIT_INTERRUPTED)
    progress.finish()
    summary = (
        f"{report.imported:,} customers imported into {target}"
        f"{' (new database)' if report.created else ''}"
        f"{' (every customer replaced)' if database_url is not None and not upsert and not report.created else ''}"
        f", {report.rejected:,} rows rejected, "
        f"{report.seconds:.1f} s"
    )
    if not report.imported:
        click.echo(f"error: no valid rows; {target} is unchanged ({report.rejected:,} rows rejected)", err=True)
        sys.exit(EXIT_NOTHING_IMPORTED)
    click.echo(summary)


@crm_command.command("demo")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Database file to create (default: COMPANION_SQLITE_PATH).")
@click.option("--count", type=click.IntRange(2, 10_000_000), default=None,
              help="Number of customers (default 300); the sample flows' callers are always included.")
def demo_command(db_path: Path | None, count: int | None):
    """Create a demo database of realistic, deterministic customers (docs/crm.md lists the sample callers)."""
    from service.crm.demo import DEMO_COUNT
    from service.crm.demo import REGULAR_PHONE
    from service.crm.demo import UNKNOWN_PHONE
    from service.crm.demo import VIP_PHONE
    from service.crm.demo import create_demo_database

    db_path = db_path or _settings().sqlite_path
    if db_path.exists():
        raise click.ClickException(f"{db_path} already exists; remove it first or choose another --db")
    try:
        created = create_demo_database(db_path, count or DEMO_COUNT)
    except KeyboardInterrupt:
        click.echo(f"interrupted; {db_path} was not created", err=True)
        sys.exit(EXIT_INTERRUPTED)
    click.echo(
        f"{created:,} demo customers in {db_path}\n"
        f"  VIP caller:     {VIP_PHONE}\n  known caller:   {REGULAR_PHONE}\n  unknown caller: {UNKNOWN_PHONE}"
    )
