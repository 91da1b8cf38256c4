"""`companion simulate`: run an Archy call flow locally against the real service and print what the call did."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import uuid

import click

from architect.runtime.flow import (ActionLookupError, ActionRegistry, FlowLoadError, SimulationError, load_flow,
                                    read_options, run_flow)
from architect.runtime.cli import service_url_option
from architect.runtime.flow.collect import KEYS
from architect.runtime.flow.datatables import DataTableError, load_data_table
from architect.runtime.flow.functions import to_duration
from architect.runtime.flow.schedules import STATES
from architect.runtime.flow.values import EvaluationError
from architect.runtime.flow.transcript import render

_ANI = re.compile(r"^(?:tel|sips?):\s*\S+$", re.IGNORECASE)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
        pairs[key] = value
    return pairs


def _digits(text: str | None) -> list[str]:
    if not text:
        return []
    entries = [part.strip() for part in text.split(",")]
    bad = [entry for entry in entries if not KEYS.match(entry)]
    if bad:
        raise click.BadParameter(f"each entry is keys from 0-9, * and #; got {', '.join(map(repr, bad))}",
                                 param_hint="--dtmf")
    return entries


def _call_extras(more: dict) -> dict:
    """The in-queue values and other built-ins the options give, as run_flow's keyword arguments."""
    extras = {}
    if more["estimated_wait_time"] is not None:
        text = more["estimated_wait_time"].strip()
        try:
            extras["estimated_wait_time"] = (dt.timedelta(seconds=float(text)) if re.fullmatch(r"\d+(\.\d+)?", text)
                                             else to_duration(None, text))
        except EvaluationError:
            raise click.BadParameter(f"expected ISO 8601 (PT4M30S) or seconds (270), got {text!r}",
                                     param_hint="--estimated-wait-time") from None
    if more["position_in_queue"] is not None:
        extras["position_in_queue"] = more["position_in_queue"]
    inputs = _pairs(more["input_pairs"], "--flow-input")
    if inputs:
        extras["flow_inputs"] = inputs
    builtins = _pairs(more["builtin_pairs"], "--builtin")
    if builtins:
        extras["builtins"] = builtins
    return extras


@click.command("simulate")
@click.argument("flow_file", metavar="FLOW.yaml", type=click.Path(dir_okay=False))
@click.option("--actions", "actions_dir", type=click.Path(file_okay=False),
              help="Folder of data action files (*.json) the callData actions resolve to by name; a subfolder named "
                   "after an integration pins its actions to that callData category.")
@click.option("--options", "options_file", type=click.Path(dir_okay=False),
              help="Archy options file whose substitutions: fill the flow's {{key}} placeholders.")
@click.option("--ani", required=True, help="The caller, as Call.Ani has it: tel:+13175550116.")
@click.option("--dtmf", help="What the caller keys, one entry per pause, in order: 1,2,# at menus; 123456789* for a "
                             "Collect Input; an empty entry (1,,2) keys nothing.")
@click.option("--service-url", help="Send data actions here (scheme://host:port) instead of the host in their URL.")
@click.option("--credential", "credential_pairs", multiple=True, metavar="KEY=VALUE",
              help="A credential field of the data actions' integration, e.g. apiKey=... Repeatable.")
@click.option("--conversation-id", help="Call.ConversationId (default: a random UUID).")
@click.option("--called-address", help="Call.CalledAddress (the number dialled).")
@click.option("--remote-name", help="Call.RemoteName (the caller's name).")
@click.option("--queue", "queue_pairs", multiple=True, metavar="NAME=ID",
              help="A queue's id, for expressions reading .id of a queue given by name. Repeatable.")
@click.option("--current-queue", help="In-queue flows: the queue the call waits in (Call.CurrentQueue).")
@click.option("--unavailable-queue", "unavailable", multiple=True, metavar="NAME",
              help="Transfers to this queue fail (the transferToAcd failure output runs). Repeatable.")
@click.option("--schedule", "schedule_pairs", multiple=True, metavar="NAME=STATE",
              help="A schedule group's state for evaluateScheduleGroup: open, closed or holiday. Repeatable.")
@click.option("--emergency", "emergencies", multiple=True, metavar="NAME",
              help="An emergency group that is active (evaluateScheduleGroup takes its emergency output). Repeatable.")
@click.option("--participant-data", "data_pairs", multiple=True, metavar="KEY=VALUE",
              help="Participant data the call already carries (set by an earlier flow). Repeatable.")
@click.option("--data-table", "table_pairs", multiple=True, metavar="NAME=FILE",
              help="Rows of a data table for dataTableLookup: a JSON list of rows with a \"key\". Repeatable.")
@click.option("--max-steps", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Stop a flow that loops for ever after this many steps.")
@click.option("--estimated-wait-time", metavar="DURATION",
              help="In-queue flows: Call.EstimatedWaitTime, as ISO 8601 (PT4M30S) or seconds (270).")
@click.option("--position-in-queue", type=click.IntRange(min=1), help="In-queue flows: Call.PositionInQueue (1 = next).")
@click.option("--builtin", "builtin_pairs", multiple=True, metavar="NAME=VALUE",
              help="Another read-only built-in's text value, e.g. Email.Message.subject=Refund. Repeatable.")
@click.option("--flow-input", "input_pairs", multiple=True, metavar="NAME=VALUE",
              help="A value for one of the flow's isInput variables (workflows: what the trigger passes). Repeatable.")
@click.option("--common-module", "module_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="A common module flow file that callCommonModule runs (by its name). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as a JSON document.")
@click.option("--strict", is_flag=True,
              help="Exit 1 when a data action failed for a reason a real call would not have: the service "
                   "unreachable, a credential refused, a ${credentials.x} or ${input.x} left unresolved.")
@click.option("-v", "--verbose", is_flag=True, help="Show each step's YAML path and values in full.")
@click.option("--graph", "graph_file", type=click.Path(dir_okay=False, writable=True),
              help="Also draw the flow with the call's path highlighted: .mmd or .md (Mermaid), .svg or .html.")
def simulate_command(flow_file, actions_dir, options_file, ani, dtmf, service_url, credential_pairs,
                     conversation_id, called_address, remote_name, queue_pairs, current_queue, unavailable,
                     schedule_pairs, emergencies, data_pairs, table_pairs, max_steps, as_json, strict, verbose,
                     graph_file, **more):
    """Simulate one call through FLOW.yaml: path, audio, data actions, participant data, disposition."""
    if not _ANI.match(ani):
        raise click.BadParameter(f"expected a tel: or sip: address such as tel:+13175550116, got {ani!r}",
                                 param_hint="--ani")
    digits = _digits(dtmf)
    if graph_file:
        from architect.testing.graph import GraphError, format_for

        try:
            format_for(graph_file)
        except GraphError as exc:
            raise click.BadParameter(str(exc), param_hint="--graph") from None
    service_url = service_url_option(service_url, "--service-url")
    queue_ids = _pairs(queue_pairs, "--queue")
    schedules = _pairs(schedule_pairs, "--schedule")
    bad = [f"{name}={state}" for name, state in schedules.items() if state.strip().lower() not in STATES]
    if bad:
        raise click.BadParameter(f"the state is open, closed or holiday; got {', '.join(map(repr, bad))}",
                                 param_hint="--schedule")
    try:
        substitutions = read_options(options_file) if options_file else {}
        flow = load_flow(flow_file, substitutions)
        registry = ActionRegistry(actions_dir)
        tables = {name: load_data_table(path) for name, path in _pairs(table_pairs, "--data-table").items()}
        modules = [load_flow(path, substitutions) for path in more["module_files"]]
    except (FlowLoadError, ActionLookupError, DataTableError) as exc:
        raise click.ClickException(str(exc)) from None
    not_modules = [module.source for module in modules if module.kind != "commonModule"]
    if not_modules:
        raise click.BadParameter(f"{', '.join(not_modules)}: not a commonModule flow", param_hint="--common-module")
    conversation_id = conversation_id or str(uuid.uuid4())
    options = {}
    if called_address:
        options["called_address"] = called_address
    if remote_name:
        options["remote_name"] = remote_name
    if current_queue:
        options["current_queue"] = {"name": current_queue, "id": queue_ids.get(current_queue)}
    options.update(_call_extras(more))
    try:
        result = run_flow(flow, ani=ani, conversation_id=conversation_id, actions_dir=registry, dtmf=digits,
                          credentials=_pairs(credential_pairs, "--credential"), service_url=service_url,
                          participant_data=_pairs(data_pairs, "--participant-data"), data_tables=tables,
                          unavailable_queues=unavailable, schedules=schedules, emergencies=emergencies,
                          queue_ids=queue_ids, max_steps=max_steps, common_modules=modules, **options)
    except SimulationError as exc:
        if exc.result is None:
            raise click.ClickException(f"{flow_file}: {exc}") from None
        _show(exc.result, as_json, ani, conversation_id, verbose)
        _graph(flow, exc.result, graph_file)
        if as_json:  # stdout is the document; say why on stderr, once
            raise click.ClickException(f"{flow_file}: {exc}") from None
        sys.exit(1)  # the transcript names the error once, under Errors
    _show(result, as_json, ani, conversation_id, verbose)
    _graph(flow, result, graph_file)
    if strict and result.localFaults:
        sys.exit(1)


def _graph(flow, result, graph_file) -> None:
    if not graph_file:
        return
    from architect.testing.graph import GraphError, drawing, write_graph

    try:
        written = write_graph(drawing(flow, result.steps), graph_file)
    except GraphError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"graph: {written}", err=True)


def _show(result, as_json: bool, ani: str, conversation_id: str, verbose: bool) -> None:
    if as_json:
        document = {"ani": ani, "conversationId": conversation_id, **result.to_dict()}
        click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render(result, ani=ani, conversation_id=conversation_id, verbose=verbose))
    sys.stdout.flush()
