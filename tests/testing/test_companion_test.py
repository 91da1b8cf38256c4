"""`companion test`: the shipped sample scenarios, readable diffs, JUnit XML, -k, coverage, clear errors, live mode."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml

from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parents[2]
COMPANION = Path(sys.executable).with_name("companion")
SCENARIOS = ROOT / "architect" / "scenarios"
SAMPLE = SCENARIOS / "companion-sample-inbound-call.scenarios.yaml"
HEADER = f"""\
flow: {ROOT}/architect/flows/companion-sample-inbound-call.yaml
options: {ROOT}/architect/flows/options.example.yaml
actions: {ROOT}/architect/data-actions
"""
TRACE = ('traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ddTraceId: "1", ddSpanId: "2", '
         'found: true, degraded: false, source: sqlite, customerId: C1, displayName: Ada, tier: platinum, '
         'segment: e, preferredLanguage: en-US, priority: 95, vip: true, openCases: 1')


def console_script(*args) -> subprocess.CompletedProcess:
    """The installed `companion` command in its own process."""
    return subprocess.run([str(COMPANION), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=60)


def scenario_file(tmp_path, body: str, name="flow.scenarios.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def test_shipped_sample_scenarios_pass():
    run = console_script("test", "architect/scenarios")
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith(("PASS", "FAIL", "ERROR"))]
    assert len(lines) == 7 and all(line.startswith("PASS ") for line in lines)
    names = {line.split("::", 1)[1] for line in lines}
    assert {"VIP caller gets CRM attributes and the VIP queue", "Regular caller goes to the default queue",
            "Unknown caller is found false and goes to the default queue",
            "Data action timeout marks the call and routes to the default queue"} <= names
    assert re.search(r"^7 passed in \d+\.\d\d s$", run.stdout, re.MULTILINE)


def test_wrong_expectation_fails_with_a_readable_diff(companion, tmp_path):
    path = scenario_file(tmp_path, f"""\
        scenarios:
          - name: vip goes to gold
            call: {{ani: "tel:+13175550116"}}
            actions:
              Companion Get Call Context: {{success: {{{TRACE}}}}}
            expect:
              disposition: {{queue: General Support}}
              participantDataIncludes: {{crm.tier: gold, crm.vip: "true"}}
              audioContains: ["Goodbye"]
        """)
    run = companion("test", path)
    assert run.returncode == 1
    out = run.stdout
    assert "FAIL  " in out and "::vip goes to gold" in out
    assert "expect.disposition: expected {queue: General Support}, got {queue: VIP Support}" in out
    assert "expect.participantDataIncludes: 1 attribute(s) not set as expected: crm.tier" in out
    assert '-crm.tier: "gold"' in out and '+crm.tier: "platinum"' in out
    assert "expect.audioContains: [0] 'Goodbye' is not in the audio played" in out
    assert "TTS 'Thank you for calling.'" in out  # what was played, to compare with
    assert re.search(r"^0 passed, 1 failed in ", out, re.MULTILINE)


def test_exact_participant_data_diff_names_missing_and_unexpected(companion, tmp_path):
    path = scenario_file(tmp_path, """\
        scenarios:
          - name: failure path
            call: {ani: "tel:+13175550116"}
            actions: {Companion Get Call Context: failure}
            expect:
              participantData: {companion.status: ok, crm.found: "false"}
        """)
    out = companion("test", path).stdout
    assert "participant data differs: 1 missing, 1 different" in out
    assert '-companion.status: "ok"' in out and '+companion.status: "failure"' in out
    assert '-crm.found: "false"' in out


def test_junit_xml_parses_with_a_junit_library(companion, tmp_path):
    shutil.copy(SAMPLE, tmp_path / "sample.scenarios.yaml")
    (tmp_path / "sample.scenarios.yaml").write_text(
        SAMPLE.read_text(encoding="utf-8").replace("../flows/", f"{ROOT}/architect/flows/")
        .replace("../data-actions", f"{ROOT}/architect/data-actions"), encoding="utf-8")
    scenario_file(tmp_path, """\
        scenarios:
          - name: wrong queue
            call: {ani: "tel:+13175550116"}
            actions: {Companion Get Call Context: timeout}
            expect: {disposition: {queue: VIP Support}}
          - name: unstubbed action
            call: {ani: "tel:+13175550116"}
            expect: {disposition: disconnect}
        """, name="broken.scenarios.yaml")
    report = tmp_path / "junit.xml"
    run = companion("test", tmp_path, "--junit-xml", report)
    assert run.returncode == 1
    xml = JUnitXml.fromfile(str(report))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {str(tmp_path / "broken.scenarios.yaml"), str(tmp_path / "sample.scenarios.yaml")}
    assert (xml.tests, xml.failures, xml.errors) == (9, 1, 1)
    broken = {case.name: case for case in suites[str(tmp_path / "broken.scenarios.yaml")]}
    failure, = broken["wrong queue"].result
    assert isinstance(failure, Failure)
    assert failure.message.startswith("expect.disposition: expected {queue: VIP Support}, got {queue: General")
    error, = broken["unstubbed action"].result
    assert isinstance(error, Error)
    assert "neither stubs it" in error.text
    assert "callData 'Companion call context'" in broken["wrong queue"].system_out  # the transcript
    assert "-> timeout" in broken["wrong queue"].system_out
    passed = list(suites[str(tmp_path / "sample.scenarios.yaml")])
    assert len(passed) == 7 and all(case.is_passed for case in passed)


def test_k_selects_scenarios_by_name(companion):
    run = companion("test", "architect/scenarios", "-k", "timeout", "-k", "UNKNOWN caller")
    assert run.returncode == 0
    assert re.findall(r"::(.*)$", run.stdout, re.MULTILINE) == [
        "Unknown caller is found false and goes to the default queue",
        "Data action timeout marks the call and routes to the default queue"]
    run = companion("test", "architect/scenarios", "-k", "no such scenario")
    assert run.returncode == 1 and "no scenario matches -k no such scenario" in run.stderr


def test_coverage_lists_the_untaken_branches_of_the_sample_flow(companion):
    run = companion("test", "architect/scenarios", "--coverage")
    assert run.returncode == 0
    assert "90.9%  10/11 branches  Companion Sample Inbound Call" in run.stdout
    untaken = ("untaken: transferToAcd: Transfer to default queue -> failure\n"
               "               /inboundCall/tasks/task[companionContext]/actions[2]/transferToAcd -> failure")
    assert untaken in run.stdout
    assert run.stdout.count("untaken:") == 1


def test_coverage_of_a_single_scenario_lists_every_other_branch(companion):
    run = companion("test", "architect/scenarios", "-k", "timeout", "--coverage")
    untaken = re.findall(r"/inboundCall/\S+ -> \w+", run.stdout)
    assert "/inboundCall/tasks/task[companionContext]/actions[0]/callData -> success" in untaken
    assert "/inboundCall/tasks/task[companionContext]/actions[0]/callData -> failure" in untaken
    assert "/inboundCall/tasks/task[companionContext]/actions[0]/callData -> timeout" not in untaken
    assert "/inboundCall/tasks/task[companionContext]/actions[1]/decision -> yes" in untaken


@pytest.mark.parametrize(("threshold", "code"), [("90", 0), ("95", 1)])
def test_fail_under_fails_the_run_below_the_threshold(companion, threshold, code):
    run = companion("test", "architect/scenarios", "--fail-under", threshold)
    assert run.returncode == code
    if code:
        assert "coverage of Companion Sample Inbound Call is 90.9%, below --fail-under 95%" in run.stdout


def test_a_malformed_scenario_file_is_reported_with_where_the_fault_is(companion, tmp_path):
    path = scenario_file(tmp_path, """\
        scenarios:
          - name: bad
            call: {ani: "+13175550116", dtmf: ["12a"]}
            expect: {disposition: {queue: 7}, colour: red}
        """)
    run = companion("test", path)
    assert run.returncode == 1
    assert f"{path}: not a scenario file" in run.stderr
    assert "scenarios[0].call.ani: '+13175550116' does not match" in run.stderr
    assert "scenarios[0].call.dtmf[0]: '12a' does not match" in run.stderr
    assert "scenarios[0].expect: Additional properties are not allowed ('colour' was unexpected)" in run.stderr


@pytest.mark.parametrize(("body", "message"), [
    ("flow: missing.yaml\nscenarios: []\n", "scenarios: [] should be non-empty"),
    ("flow: missing.yaml\nscenarios: [{name: a, call: {ani: 'tel:+1'}, expect: {disposition: disconnect}}]\n",
     "flow: missing.yaml"),
    ("flow: [x\n", "invalid YAML at line"),
])
def test_broken_files_give_one_clear_error(companion, tmp_path, body, message):
    path = tmp_path / "x.scenarios.yaml"
    path.write_text(body, encoding="utf-8")
    run = companion("test", path)
    assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr


def test_duplicate_scenario_names_are_refused(companion, tmp_path):
    path = scenario_file(tmp_path, """\
        scenarios:
          - {name: same, call: {ani: "tel:+1"}, expect: {disposition: disconnect}}
          - {name: same, call: {ani: "tel:+1"}, expect: {disposition: disconnect}}
        """)
    run = companion("test", path)
    assert "scenarios[1].name: 'same' is already the name of scenarios[0]" in run.stderr


def test_a_stub_answering_an_output_the_contract_lacks_is_an_error(companion, tmp_path):
    path = scenario_file(tmp_path, """\
        scenarios:
          - name: typo in a stub
            call: {ani: "tel:+13175550116"}
            actions: {Companion Get Call Context: {success: {vipp: true}}}
            expect: {disposition: disconnect}
        """)
    run = companion("test", path)
    assert run.returncode == 1
    assert "ERROR" in run.stdout and "answers vipp, which the action's output contract does not have" in run.stdout


def test_no_scenario_files_is_an_error(companion, tmp_path):
    run = companion("test", tmp_path)
    assert run.returncode == 1 and "no scenario files (*.scenarios.yaml)" in run.stderr


def test_a_live_scenario_calls_the_real_service(companion, tmp_path, demo_server):
    path = scenario_file(tmp_path, """\
        service:
          url: ${COMPANION_TEST_URL}
          credentials: {apiKey: "${COMPANION_TEST_KEY}"}
        scenarios:
          - name: VIP caller against the demo service
            call: {ani: "tel:+13175550116"}
            expect:
              disposition: {queue: VIP Support}
              participantDataIncludes: {crm.customerId: CUST-000001, crm.source: sqlite, companion.status: ok}
              dataActions: [{name: Companion Get Call Context, status: success, inputs: {phone: "tel:+13175550116"}}]
          - name: a stub still wins over the service
            call: {ani: "tel:+13175550116"}
            actions: {Companion Get Call Context: failure}
            expect: {participantData: {companion.status: failure}}
        """)
    env = {"COMPANION_TEST_URL": demo_server.url, "COMPANION_TEST_KEY": API_KEY}
    run = companion("test", path, "--jobs", "2", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    run = companion("test", path, env={"COMPANION_TEST_URL": demo_server.url, "COMPANION_TEST_KEY": None})
    assert run.returncode == 1
    assert "service.credentials.apiKey: environment variable COMPANION_TEST_KEY is not set" in run.stderr


def test_companion_check_of_a_folder_leaves_scenario_files_out(companion):
    run = companion("check", "architect/")
    assert "scenarios.yaml" not in run.stdout
    assert "0 error(s), 0 warning(s)" in run.stdout


def test_a_stub_for_an_action_the_folder_lacks_is_an_error_naming_the_ones_there(companion, tmp_path):
    path = scenario_file(tmp_path, """\
        scenarios:
          - name: misspelt stub
            call: {ani: "tel:+13175550116"}
            actions: {Companion Get Call Contxt: failure}
            expect: {disposition: disconnect}
        """)
    run = companion("test", path)
    assert run.returncode == 1
    assert ("scenarios[0].actions: no data action named 'Companion Get Call Contxt' in "
            f"{ROOT}/architect/data-actions; actions there: Companion Get Call Context, Companion Get Customer, "
            "Companion Get Trace Context") in run.stdout


def test_verbose_prints_what_a_failing_call_did(companion, tmp_path):
    path = scenario_file(tmp_path, """\
        scenarios:
          - name: failure path expected ok
            call: {ani: "tel:+13175550116"}
            actions: {Companion Get Call Context: failure}
            expect: {participantDataIncludes: {companion.status: ok}}
        """)
    quiet, verbose = companion("test", path).stdout, companion("test", path, "-v").stdout
    assert "what the call did:" not in quiet
    assert "what the call did:" in verbose and "Companion Get Call Context -> failure" in verbose
