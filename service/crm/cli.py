"""`companion crm import` and `companion crm demo`: fill the SQLite CRM (or, import only, the PostgreSQL one)."""

from __future__ import annotations

import dataclasses
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
CRM_SETTINGS = ("COMPANION_SQLITE_PATH", "COMPANION_DATABASE_URL", "COMPANION_DEFAULT_REGION", "COMPANION_TIERS",
                "COMPANION_FIELDS_FILE")
# Progress: the bar redraws at most this often on a terminal; elsewhere (a log, CI) a line this often.
PROGRESS_INTERVAL_S = 0.2
PROGRESS_LINE_INTERVAL_S = 5.0
_DELIMITERS = {",": ",", ";": ";", "tab": "\t"}
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


def _settings(fields_file: Path | None = None) -> Settings:
    """The CRM settings; --fields FILE replaces COMPANION_FIELDS_FILE."""
    from service.config import read_fields_file

    try:
        settings = crm_settings()
        if fields_file is not None:
            settings = dataclasses.replace(settings, fields_file=fields_file, fields=read_fields_file(fields_file))
        return settings
    except ConfigError as exc:
        message = str(exc)
        if fields_file is not None:
            message = message.replace("COMPANION_FIELDS_FILE: ", "--fields: ")
        raise click.ClickException(f"invalid configuration:\n{message}") from None


class _Progress:
    """Import progress on stderr: on a terminal, a bar over the file's bytes with the percentage, the rate and
    the time left (tqdm); elsewhere one plain line every PROGRESS_LINE_INTERVAL_S; with --quiet, nothing."""

    def __init__(self, total_bytes: int, *, quiet: bool = False, stream=None):
        self.stream = stream or sys.stderr
        self.total = total_bytes
        self.mode = "off" if quiet else ("bar" if self.stream.isatty() else "lines")
        self.last = time.monotonic()
        self.bar = None
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(
                total=total_bytes or None, unit="B", unit_scale=True, unit_divisor=1024, file=self.stream,
                desc="import", mininterval=PROGRESS_INTERVAL_S, leave=True,
                **_terminal_size(self.stream),
            )

    def __call__(self, progress) -> None:
        now = time.monotonic()
        if self.bar is not None:
            if now - self.last < PROGRESS_INTERVAL_S and not progress.done:
                return
            self.last = now
            # Set rather than update(): the rate and the time left are then averaged over the whole import.
            self.bar.n = self.total if progress.done else min(progress.bytes_read, self.total or progress.bytes_read)
            rate = progress.rows / progress.seconds if progress.seconds > 0 else 0.0
            self.bar.set_postfix_str(
                f"{progress.rows:,} rows read, {rate:,.0f} rows/s, {progress.rejected:,} rejected so far",
                refresh=False,
            )
            self.bar.refresh()
        elif self.mode == "lines":
            if progress.done or now - self.last < PROGRESS_LINE_INTERVAL_S:
                return
            self.last = now
            self.stream.write(progress_line(progress, self.total) + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _terminal_size(stream) -> dict[str, int]:
    # tqdm draws nothing on a terminal that reports no size (a fresh pseudo-terminal, some CI consoles).
    try:
        columns, lines = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError, AttributeError):
        columns, lines = 0, 0
    return {"ncols": columns or 120, "nrows": lines or 24}


def progress_line(progress, total_bytes: int) -> str:
    """'import: 42% read, 420,000 rows (30,000 rows/s), 3 rejected, about 0:19 left' for logs."""
    from tqdm import tqdm

    rate = progress.rows / progress.seconds if progress.seconds > 0 else 0.0
    parts = [f"{progress.rows:,} rows ({rate:,.0f} rows/s)", f"{progress.rejected:,} rejected"]
    if total_bytes and progress.bytes_read:
        fraction = min(1.0, progress.bytes_read / total_bytes)
        parts.insert(0, f"{fraction:.0%} read")
        if 0 < fraction < 1:
            left = progress.seconds * (1 - fraction) / fraction
            parts.append(f"about {tqdm.format_interval(left)} left")
    return "import: " + ", ".join(parts)


def _reject(rejected) -> None:
    click.echo(f"line {rejected.line}: {rejected.reason}", err=True)


def _renames(pairs: tuple[str, ...], settings: Settings) -> dict[str, str]:
    """CSV header -> field from the fields file's columns, then each --map HEADER=field over them."""
    from schemas.record import record_fields

    names = [field.name for field in record_fields(settings.fields.fields)]
    renames = dict(settings.fields.columns)
    for pair in pairs:
        header, equals, name = pair.rpartition("=")
        if not equals or not header.strip():
            raise click.BadParameter(f"{pair!r} must look like 'CSV header=field', e.g. 'Phone Number=phone'",
                                     param_hint="--map")
        if name.strip() not in names:
            raise click.BadParameter(f"{name.strip()!r} is not a field; fields are: {', '.join(names)}",
                                     param_hint="--map")
        renames[header.strip()] = name.strip()
    return renames


@click.group("crm")
def crm_command():
    """The CRM store: import customers into SQLite (COMPANION_SQLITE_PATH) or PostgreSQL, create a demo database."""


_fields_option = click.option(
    "--fields", "fields_file", type=click.Path(dir_okay=False, path_type=Path),
    help="Fields file with your own customer fields (default: COMPANION_FIELDS_FILE).")


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
@_fields_option
@click.option("--map", "map_pairs", multiple=True, metavar="'HEADER=field'",
              help="Read the column HEADER as the field (repeatable), e.g. --map 'Phone Number=phone'.")
@click.option("--ignore-unknown", is_flag=True, help="Skip columns that are no field instead of refusing the file.")
@click.option("--delimiter", type=click.Choice(list(_DELIMITERS)),
              help="Column delimiter (default: detected from the header: comma, semicolon or tab).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or progress lines.")
def import_command(csv_file: Path, db_path: Path | None, database_url: str | None, upsert: bool,
                   fields_file: Path | None, map_pairs: tuple[str, ...], ignore_unknown: bool, delimiter: str | None,
                   quiet: bool):
    """Validate FILE.csv and store its valid rows, all in one transaction.

    SQLite: upsert by customerId (a missing file is created). PostgreSQL: the valid rows replace every
    customer (or, with --upsert, are upserted), swapped in at once on every instance.
    Columns of optional fields may be left out (in SQLite an existing customer keeps those values). Each
    rejected row is listed on stderr with its line number and every problem; the valid rows are still
    imported. Exit code 0 when rows were imported, 1 when none were (or the file is unusable), 130 on
    Ctrl-C. Whatever happens (Ctrl-C, crash, kill), the database has all the valid rows or none of them.
    """
    from service.crm.importer import CsvFile
    from service.crm.importer import HeaderRules
    from service.crm.importer import ImportFileError
    from service.crm.importer import RowRules
    from service.crm.importer import import_rows

    settings = _settings(fields_file)
    if database_url is None and settings.crm_backend == "postgres" and db_path is None:
        database_url = settings.database_url
    if database_url is not None and db_path is not None:
        raise click.UsageError("give --db (SQLite) or --database-url (PostgreSQL), not both")
    rules = RowRules(settings.tiers, settings.default_region, settings.fields.fields)
    header_rules = HeaderRules(_renames(map_pairs, settings), ignore_unknown)
    source = CsvFile(csv_file, _DELIMITERS[delimiter] if delimiter else None)
    progress = _Progress(source.size, quiet=quiet)
    options = {"header_rules": header_rules, "bytes_read": source.bytes_read}
    if database_url is not None:
        from service.crm.postgres import describe_target
        from service.crm.postgres_import import import_rows_postgres

        target = describe_target(database_url)
        store = functools.partial(import_rows_postgres, source.rows(), database_url, rules, upsert=upsert, **options)
    else:
        db_path = db_path or settings.sqlite_path
        target = str(db_path)
        store = functools.partial(import_rows, source.rows(), db_path, rules, **options)
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
    if report.ignored_columns:
        click.echo(f"ignored column(s): {', '.join(report.ignored_columns)}", err=True)
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
    for change in report.migrations:
        click.echo(f"database: {change}")


@crm_command.command("demo")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Database file to create (default: COMPANION_SQLITE_PATH).")
@click.option("--count", type=click.IntRange(2, 10_000_000), default=None,
              help="Number of customers (default 300); the sample flows' callers are always included.")
@_fields_option
def demo_command(db_path: Path | None, count: int | None, fields_file: Path | None):
    """Create a demo database of realistic, deterministic customers (docs/crm.md lists the sample callers)."""
    from service.crm.demo import DEMO_COUNT
    from service.crm.demo import REGULAR_PHONE
    from service.crm.demo import UNKNOWN_PHONE
    from service.crm.demo import VIP_PHONE
    from service.crm.demo import create_demo_database

    settings = _settings(fields_file)
    db_path = db_path or settings.sqlite_path
    if db_path.exists():
        raise click.ClickException(f"{db_path} already exists; remove it first or choose another --db")
    try:
        created = create_demo_database(db_path, count or DEMO_COUNT, custom=settings.fields.fields)
    except KeyboardInterrupt:
        click.echo(f"interrupted; {db_path} was not created", err=True)
        sys.exit(EXIT_INTERRUPTED)
    click.echo(
        f"{created:,} demo customers in {db_path}\n"
        f"  VIP caller:     {VIP_PHONE}\n  known caller:   {REGULAR_PHONE}\n  unknown caller: {UNKNOWN_PHONE}"
    )
