"""The `companion` command line.

Each subcommand lives with the code it drives and is imported only when it runs, so `companion serve` loads
what serving needs and nothing else (no flow simulator, no YAML parser, no HTTP client for data actions).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

# name -> "module:attribute" of a click command. Add new subcommands here, one line each.
SUBCOMMANDS = {
    "action": "architect.runtime.cli:action_command",
    "check": "architect.check.command:check_command",
    "crm": "service.crm.cli:crm_command",
    "doctor": "architect.doctor.command:doctor_command",
    "export": "architect.export.command:export_command",
    "graph": "architect.testing.command:graph_command",
    "simulate": "architect.runtime.simulate:simulate_command",
    "test": "architect.testing.command:test_command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (click's documented lazy-loading pattern)."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module, _, attribute = self._lazy[cmd_name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "-V", "--version", package_name="architect-companion")
def cli():
    """architect-companion: trace ids and CRM fields for Genesys Cloud call flows."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--demo", is_flag=True, help="Demo mode: generated API key, demo secret and demo CRM database.")
def serve(host: str, port: int, demo: bool):
    """Run the service under gunicorn with the repository's gunicorn config."""
    from service.preflight import checked_settings

    env = dict(os.environ)
    if demo:
        env["COMPANION_DEMO"] = "1"
    env["COMPANION_BIND"] = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # Every problem at once, each naming its variable, and exit 2 here rather than in a gunicorn traceback.
    checked_settings(env)
    config = Path(__file__).with_name("gunicorn_conf.py")
    argv = [sys.executable, "-m", "gunicorn", "--config", str(config)]
    os.execvpe(argv[0], argv, env)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="companion")
