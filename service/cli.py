"""The `companion` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="architect-companion")
def cli():
    """architect-companion: trace ids and CRM fields for Genesys Cloud call flows."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--demo", is_flag=True, help="Demo mode: generated API key, demo secret and demo CRM database.")
def serve(host: str, port: int, demo: bool):
    """Run the service under gunicorn with the repository's gunicorn config."""
    from service.config import ConfigError
    from service.config import load_settings

    env = dict(os.environ)
    if demo:
        env["COMPANION_DEMO"] = "1"
    env["COMPANION_BIND"] = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        # Fail here, with the variable named, rather than in a gunicorn traceback.
        load_settings(env)
    except ConfigError as exc:
        raise click.ClickException(f"invalid configuration:\n{exc}") from None
    config = Path(__file__).with_name("gunicorn_conf.py")
    argv = [sys.executable, "-m", "gunicorn", "--config", str(config)]
    os.execvpe(argv[0], argv, env)


# Subcommands that live with the code they drive; one line each.
# (add new ones here: from package.module import command; cli.add_command(command))
from architect.export.command import export_command; cli.add_command(export_command)  # noqa: E402,E702
from architect.check.command import check_command; cli.add_command(check_command)  # noqa: E402,E702
from architect.runtime.cli import action_command; cli.add_command(action_command)  # noqa: E402,E702
from service.crm.cli import crm_command; cli.add_command(crm_command)  # noqa: E402,E702
from architect.runtime.simulate import simulate_command; cli.add_command(simulate_command)  # noqa: E402,E702


def main() -> None:
    """Console-script entry point."""
    cli()
