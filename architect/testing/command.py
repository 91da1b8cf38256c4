"""`companion test` (scenario files: verdicts with diffs, JUnit XML, coverage, graphs) and `companion graph`."""

from __future__ import annotations

import os
import sys
import time

import click

from architect.testing import SCENARIO_SUFFIX

# Each command imports what it runs when it runs: `companion graph` needs no scenario machinery.


def _selector(keywords: tuple[str, ...]):
    if not keywords:
        return None
    wanted = [keyword.casefold() for keyword in keywords]
    return lambda scenario: any(keyword in scenario.id.casefold() for keyword in wanted)


def _printer(verbose: bool):
    from architect.testing.execute import ERROR, FAILED, PASSED

    marks = {PASSED: "PASS ", FAILED: "FAIL ", ERROR: "ERROR"}

    def print_outcome(outcome) -> None:
        click.echo(f"{marks[outcome.status]} {outcome.scenario.id}")
        if outcome.status != PASSED:
            for line in outcome.report().splitlines():
                click.echo(f"      {line}")
            if verbose and outcome.result is not None:
                from architect.runtime.flow.transcript import render

                click.echo("      what the call did:")
                for line in render(outcome.result, ani=outcome.scenario.call["ani"]).splitlines():
                    click.echo(f"        {line}")
        sys.stdout.flush()

    return print_outcome


@click.command("test")
@click.argument("paths", nargs=-1, metavar="[PATH...]", type=click.Path(exists=True))
@click.option("-k", "keywords", multiple=True, metavar="TEXT",
              help="Run only scenarios whose FILE::NAME contains TEXT (case-insensitive). Repeatable: any of them.")
@click.option("--junit-xml", "junit_xml", type=click.Path(dir_okay=False, writable=True),
              help="Also write the results as JUnit XML to this file (for CI systems).")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Print the branches taken per flow, as a percentage, and list the untaken ones with their YAML "
                   "paths.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="Fail when a flow's branch coverage is below PERCENT (implies --coverage).")
@click.option("--graph", "graph_dir", type=click.Path(file_okay=False, writable=True),
              help="Write each scenario's path through its flow as Mermaid (.mmd) and HTML (.html) to this folder.")
@click.option("-v", "--verbose", is_flag=True, help="Also print the transcript of each scenario that fails.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=lambda: min(4, os.cpu_count() or 1),
              show_default="up to 4", help="Scenarios run side by side (each call is independent).")
def test_command(paths, keywords, junit_xml, show_coverage, fail_under, graph_dir, verbose, jobs):
    """Run the scenario files given, and those (*.scenarios.yaml) under the folders given (default: the current folder).

    Exits with 0 when every selected scenario passes (and coverage reaches --fail-under), 1 otherwise.
    """
    from architect.testing.execute import ERROR, FAILED, PASSED, run_scenarios
    from architect.testing.scenarios import ScenarioFileError, find_scenario_files, load_scenario_file

    started = time.perf_counter()
    try:
        files = [load_scenario_file(path) for path in find_scenario_files(paths or (".",))]
    except ScenarioFileError as exc:
        raise click.ClickException(str(exc)) from None
    if not files:
        raise click.ClickException(f"no scenario files (*{SCENARIO_SUFFIX}) under {', '.join(paths or ('.',))}")
    outcomes = run_scenarios(files, select=_selector(keywords), jobs=jobs, on_outcome=_printer(verbose))
    if not outcomes:
        raise click.ClickException(f"no scenario matches -k {' -k '.join(keywords)}")
    counts = {status: sum(o.status == status for o in outcomes) for status in (PASSED, FAILED, ERROR)}
    if junit_xml:
        from architect.testing.junit import write_junit_xml

        write_junit_xml(outcomes, junit_xml)
    if graph_dir:
        from architect.testing.graph import write_scenario_graphs

        for written in write_scenario_graphs(outcomes, graph_dir):
            click.echo(f"graph: {written}")
    below = []
    if show_coverage or fail_under is not None:
        from architect.testing.coverage import flow_coverage, render_coverage

        coverages = flow_coverage(outcomes)
        click.echo(render_coverage(coverages))
        if fail_under is not None:
            below = [c for c in coverages if c.percent < fail_under]
            for coverage in below:
                click.echo(f"coverage of {coverage.name} is {coverage.percent:.1f}%, below --fail-under "
                           f"{fail_under:g}%")
    summary = ", ".join(f"{count} {status}" for status, count in counts.items() if count or status == PASSED)
    click.echo(f"{summary} in {time.perf_counter() - started:.2f} s")
    if counts[FAILED] or counts[ERROR] or below:
        sys.exit(1)


@click.command("graph")
@click.argument("flow_file", metavar="FLOW.yaml", type=click.Path(exists=True, dir_okay=False))
@click.option("--options", "options_file", type=click.Path(exists=True, dir_okay=False),
              help="Archy options file whose substitutions fill the flow's {{key}} placeholders.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "svg", "html"]),
              help="mermaid (text GitHub renders), svg or html (laid out by Graphviz's dot). Default: from --out's "
                   "extension, else mermaid.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, writable=True),
              help="Write the diagram here (.mmd, .md, .svg or .html) instead of printing it.")
def graph_command(flow_file, options_file, fmt, out_file):
    """Draw FLOW.yaml: tasks, menus and actions with their branches (simulate/test --graph add a call's path)."""
    from architect.runtime.flow import FlowLoadError, load_flow, read_options
    from architect.testing.graph import GraphError, drawing, render, write_graph

    try:
        flow = load_flow(flow_file, read_options(options_file) if options_file else {})
        picture = drawing(flow)
        if out_file:
            click.echo(f"graph: {write_graph(picture, out_file, fmt)}")
        else:
            click.echo(render(picture, fmt or "mermaid"), nl=False)
    except (FlowLoadError, GraphError) as exc:
        raise click.ClickException(str(exc)) from None
