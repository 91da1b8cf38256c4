"""pytest plugin (entry point pytest11): each scenario of a *.scenarios.yaml file is collected as a test item.

Loaded by every pytest run where the package is installed, so it imports nothing heavy until a scenario file
is collected.
"""

from __future__ import annotations

import pytest

from architect.testing import SCENARIO_SUFFIX as SUFFIX


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
        if outcome.status != PASSED:
            raise ScenarioFailed(outcome)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ScenarioFailed):
            return f"scenario {self.scenario.name!r} {excinfo.value.outcome.status}:\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"scenario: {self.scenario.name}"
