"""The `companion check` command."""

from __future__ import annotations

import json

import click

from architect.check.findings import ERROR
from architect.check.findings import SEVERITY_ORDER
from architect.check.runner import CheckUsageError
from architect.check.runner import check_paths
from architect.check.runner import read_substitutions
from architect.check.runner import collect_files
from architect.check.runner import summary


@click.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--options", "options_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="An Archy options file: its substitutions are applied to each flow before it is checked.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as one JSON document.")
def check_command(paths, options_file, as_json):
    """Lint data-action JSON and Archy flow YAML files (or every such file under folders).

    Exit code 1 when any finding is an error, 0 otherwise, 2 when a path cannot be checked.
    """
    try:
        substitutions = read_substitutions(options_file) if options_file else None
        files = collect_files(paths)
        findings = check_paths(paths, substitutions=substitutions)
    except CheckUsageError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in SEVERITY_ORDER}
        document = {
            "files": [str(path) for path, _explicit in files],
            "counts": counts,
            "findings": [f.as_dict() for f in findings],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        for item in findings:
            click.echo(item.as_text())
        click.echo(summary(findings, len(files)))
    click.get_current_context().exit(1 if any(f.severity == ERROR for f in findings) else 0)
