"""The `companion export` command."""

from __future__ import annotations

from pathlib import Path

import click

from architect.base_url import HTTP_WARNING, is_plain_http
from architect.contracts import ContractError
from architect.export.attributes import AttributeMapError
from architect.export.attributes import load_attribute_map
from architect.export.generate import context_outputs
from architect.export.generate import generate_artifacts
from architect.export.generate import write_artifacts
from architect.export.options import AUTH_MODES
from architect.export.options import DEFAULT_SERVICE_DEADLINE_MS
from architect.export.options import DEFAULT_TIMEOUT_SECONDS
from architect.export.options import ExportError
from architect.export.options import make_options
from schemas.fields_file import FieldsFileError
from schemas.fields_file import load_fields_file


# Not architect/: that folder holds the repository's committed artifacts, which only `--out architect` rewrites
# (ignored by git, so an export in a clone leaves `git status` clean).
DEFAULT_OUT = Path("companion-export")


@click.command("export")
@click.option("--base-url", required=True, help="The service's public base URL, e.g. https://companion.example.com.")
@click.option(
    "--auth",
    type=click.Choice(AUTH_MODES),
    default="bearer",
    show_default=True,
    help="basic: Genesys's Basic Auth credential (password = API key); bearer: a User Defined credential apiKey.",
)
@click.option(
    "--timeout-seconds",
    type=int,
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Data-action timeout (1-60), above the service's CRM deadline.",
)
@click.option(
    "--service-deadline-ms",
    type=int,
    default=DEFAULT_SERVICE_DEADLINE_MS,
    show_default=True,
    help="The service's COMPANION_CRM_DEADLINE_MS, which the timeout must exceed.",
)
@click.option(
    "--attributes",
    "attributes_file",
    type=click.Path(dir_okay=False),
    help="YAML or JSON file mapping context outputs to participant-data keys (replaces the defaults).",
)
@click.option(
    "--fields",
    "fields_file",
    type=click.Path(dir_okay=False),
    help="Fields file with your own customer fields: added to the actions' outputs and set as participant data.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder to write data-actions/, terraform/ and flows/ into (created if missing).",
)
def export_command(base_url, auth, timeout_seconds, service_deadline_ms, attributes_file, fields_file, out_dir):
    """Write the data actions, Terraform and Archy flows generated from schemas/ (and --fields FILE)."""
    try:
        custom = load_fields_file(fields_file).fields if fields_file else ()
    except FieldsFileError as exc:
        raise click.UsageError("--fields: " + str(exc).replace("\n", "\n--fields: ")) from None
    try:
        attributes = load_attribute_map(attributes_file, context_outputs(custom)) if attributes_file else None
        options = make_options(
            base_url,
            auth=auth,
            timeout_seconds=timeout_seconds,
            service_deadline_ms=service_deadline_ms,
            attributes=attributes,
            attributes_file=attributes_file,
            custom=custom,
            fields_file=fields_file,
        )
        files = generate_artifacts(options)
    except (ExportError, AttributeMapError) as exc:
        raise click.UsageError(str(exc)) from None
    except ContractError as exc:
        # The schemas themselves break a Genesys rule: a fault in schemas/, not in the command line.
        raise click.ClickException(str(exc)) from None
    if is_plain_http(options.base_url):
        click.echo(HTTP_WARNING.format(option="--base-url", url=options.base_url), err=True)
    written = write_artifacts(files, out_dir)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(written)} files in {out_dir.resolve()}")
