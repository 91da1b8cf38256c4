"""`companion action run`: run a data action file locally and print each step and the outputs."""

from __future__ import annotations

import json
import sys

import click

from architect.base_url import BaseUrlError, check_base_url
from architect.runtime.actions import ActionDefinitionError, ActionResult, execute_action, load_action


def service_url_option(url: str | None, option: str) -> str | None:
    """The --base-url / --service-url value checked as `export --base-url` checks it, or None."""
    if url is None:
        return None
    try:
        return check_base_url(url, option)
    except BaseUrlError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{option} "), param_hint=option) from None


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, got {item!r}", param_hint=option)
        pairs[key] = value
    return pairs


def _typed_input(name: str, text: str, schema: dict):
    """A --input value as the contract's type says (Architect passes typed values): integer, number, boolean."""
    kind = ((schema.get("properties") or {}).get(name) or {}).get("type", "string")
    kinds = kind if isinstance(kind, list) else [kind]
    if "null" in kinds and text == "null":
        return None
    try:
        if "integer" in kinds:
            return int(text)
        if "number" in kinds:
            number = float(text)
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    except ValueError:
        return text  # left as text: the input contract check reports it
    if "boolean" in kinds and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _one_line(detail: dict) -> str:
    text = json.dumps(detail, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


def print_result(name: str, result: ActionResult) -> None:
    """Readable transcript: one line per step, then the outputs."""
    click.echo(f"{name}: {result.status} in {result.duration_ms:.1f} ms")
    for step in result.steps:
        mark = "ok  " if step.ok else "FAIL"
        click.echo(f"  [{mark}] {step.name}: {_one_line(step.detail)}")
        if step.error:
            click.echo(f"         error: {step.error}")
    if result.status == "success":
        click.echo("outputs:")
        for key, value in result.outputs.items():
            click.echo(f"  {key} = {json.dumps(value, ensure_ascii=False)}")
    else:
        click.echo(f"{result.status}: {result.error}")
    if result.local_faults:
        click.echo("local faults (a real call would not fail this way; --strict exits 1):")
        for fault in result.local_faults:
            click.echo(f"  - {fault}")


@click.group("action")
def action_command():
    """Run Genesys data actions locally."""


@action_command.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--input", "input_pairs", multiple=True, metavar="KEY=VALUE",
              help="An input value; typed by the input contract (integer, number, boolean). Repeatable.")
@click.option("--inputs-json", metavar="JSON", help="All inputs as a JSON object (--input values override).")
@click.option("--credential", "credential_pairs", multiple=True, metavar="KEY=VALUE",
              help="A credential field, e.g. apiKey=... or userName=... password=... (Basic). Repeatable.")
@click.option("--base-url", metavar="URL", help="Send to this scheme://host:port instead of the URL's own host; "
                                                "required for relative /api/v2 URLs.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds; default: the action's timeoutSeconds, else 60.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as a JSON document.")
@click.option("--strict", is_flag=True,
              help="Also exit 1 when the run succeeded with a ${credentials.x} or ${input.x} left unresolved.")
def run_command(file, input_pairs, inputs_json, credential_pairs, base_url, timeout, as_json, strict):
    """Run the data action in FILE; exit 1 when it takes the failure or timeout path."""
    base_url = service_url_option(base_url, "--base-url")
    try:
        action = load_action(file)
    except ActionDefinitionError as exc:
        raise click.ClickException(str(exc)) from None
    inputs = {}
    if inputs_json:
        try:
            inputs = json.loads(inputs_json)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--inputs-json") from None
        if not isinstance(inputs, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--inputs-json")
    schema = action["contract"]["input"]["inputSchema"]
    for key, text in _pairs(input_pairs, "--input").items():
        inputs[key] = _typed_input(key, text, schema)
    credentials = _pairs(credential_pairs, "--credential")
    result = execute_action(action, inputs, credentials, base_url=base_url, timeout=timeout)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print_result(action["name"], result)
    sys.exit(0 if result.status == "success" and not (strict and result.local_faults) else 1)
