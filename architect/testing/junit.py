"""Scenario outcomes as a JUnit XML report (one testsuite per scenario file) for CI systems."""

from __future__ import annotations

from pathlib import Path

from junitparser import Error, Failure, JUnitXml, TestCase, TestSuite

from architect.runtime.flow.transcript import render
from architect.testing.execute import ERROR, FAILED, PASSED, conversation_id


def write_junit_xml(outcomes, path: str | Path) -> None:
    """Write the outcomes to `path`: classname is the scenario file, name the scenario, failures with their diff."""
    suites: dict[str, TestSuite] = {}
    for outcome in outcomes:
        source = str(outcome.scenario.file.path)
        suite = suites.get(source)
        if suite is None:
            suite = suites[source] = TestSuite(source)
        case = TestCase(outcome.scenario.name, classname=source, time=round(outcome.seconds, 6))
        if outcome.status == FAILED:
            failure = Failure(outcome.mismatches[0].text().splitlines()[0], "expectation")
            failure.text = outcome.report()
            case.result = [failure]
        elif outcome.status == ERROR:
            error = Error((outcome.error or "").splitlines()[0] if outcome.error else "error", "simulation")
            error.text = outcome.report()
            case.result = [error]
        if outcome.status != PASSED and outcome.result is not None:
            # What the call did, for whoever reads the CI report: the transcript `companion simulate` prints.
            case.system_out = render(outcome.result, ani=outcome.scenario.call["ani"],
                                     conversation_id=conversation_id(outcome.scenario))
        suite.add_testcase(case)
    document = JUnitXml("companion test")
    for suite in suites.values():
        suite.update_statistics()
        document.add_testsuite(suite)
    document.update_statistics()
    document.write(str(path), pretty=True)
