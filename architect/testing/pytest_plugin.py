"""pytest plugin (entry point pytest11): each scenario of a *.scenarios.yaml file is collected as a test item.

Loaded by every pytest run where the package is installed, so it imports nothing heavy until a scenario file
is collected.
"""

from __future__ import annotations

import pytest

from architect.testing import SCENARIO_SUFFIX as SUFFIX

_OUTCOMES = pytest.StashKey[list]()  # every scenario outcome of the session, for --flow-coverage


def pytest_addoption(parser):
    group = parser.getgroup("companion scenarios")
    group.addoption("--flow-coverage", action="store_true",
                    help="After the run, print the branches of each flow the scenario files took (companion test "
                         "--coverage).")
    group.addoption("--flow-coverage-fail-under", type=float, metavar="PERCENT",
                    help="Fail the run when a flow's branch coverage is below PERCENT (implies --flow-coverage).")


def pytest_configure(config):
    config.stash[_OUTCOMES] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The --flow-coverage report, as `companion test --coverage` prints it."""
    threshold = config.getoption("--flow-coverage-fail-under")
    outcomes = config.stash.get(_OUTCOMES, [])
    if not (config.getoption("--flow-coverage") or threshold is not None) or not outcomes:
        return
    from architect.testing.coverage import flow_coverage, render_coverage

    coverages = flow_coverage(outcomes)
    terminalreporter.write_sep("-", "flow coverage")
    terminalreporter.write_line(render_coverage(coverages))
    below = [c for c in coverages if threshold is not None and c.percent < threshold]
    for coverage in below:
        terminalreporter.write_line(f"coverage of {coverage.name} is {coverage.percent:.1f}%, below "
                                    f"--flow-coverage-fail-under {threshold:g}%", red=True)


def pytest_sessionfinish(session, exitstatus):
    # The summary runs after this hook; the threshold is checked here too so the exit status carries it.
    threshold = session.config.getoption("--flow-coverage-fail-under")
    outcomes = session.config.stash.get(_OUTCOMES, [])
    if threshold is None or not outcomes or session.exitstatus != 0:
        return
    from architect.testing.coverage import flow_coverage

    if any(c.percent < threshold for c in flow_coverage(outcomes)):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collect_file(file_path, parent):
    """Collect scenario files; other YAML is left alone."""
    if file_path.name.endswith(SUFFIX):
        return ScenarioYamlFile.from_parent(parent, path=file_path)
    return None


class ScenarioFailed(Exception):
    """A scenario missed an expectation or its call could not be simulated."""

    def __init__(self, outcome):
        super().__init__(outcome.report())
        self.outcome = outcome


class ScenarioYamlFile(pytest.File):
    """A scenario file: one item per scenario; the flow and actions are loaded once for all of them."""

    def collect(self):
        from architect.testing.execute import prepare
        from architect.testing.scenarios import ScenarioFileError, load_scenario_file

        try:
            scenario_file = load_scenario_file(self.path)
        except ScenarioFileError as exc:
            raise self.CollectError(str(exc)) from None
        prepared = prepare(scenario_file)
        for scenario in scenario_file.scenarios:
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario, prepared=prepared)


class ScenarioItem(pytest.Item):
    """One scenario run through its flow."""

    def __init__(self, *, scenario, prepared, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.prepared = prepared

    def runtest(self):
        from architect.testing.execute import PASSED, run_scenario

        outcome = run_scenario(self.scenario, self.prepared)
        self.config.stash[_OUTCOMES].append(outcome)
        if outcome.status != PASSED:
            raise ScenarioFailed(outcome)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ScenarioFailed):
            return f"scenario {self.scenario.name!r} {excinfo.value.outcome.status}:\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"scenario: {self.scenario.name}"
