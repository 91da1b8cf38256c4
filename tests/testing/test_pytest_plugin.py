"""The pytest plugin (entry point pytest11): scenario files collected as items, failures shown as diffs, -k."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = f"""\
flow: {ROOT}/architect/flows/companion-sample-inbound-call.yaml
options: {ROOT}/architect/flows/options.example.yaml
actions: {ROOT}/architect/data-actions
scenarios:
  - name: failure goes to the default queue
    call: {{ani: "tel:+13175550116"}}
    actions: {{Companion Get Call Context: failure}}
    expect: {{disposition: {{queue: General Support}}, participantData: {{companion.status: failure}}}}
  - name: timeout expected to reach the VIP queue
    call: {{ani: "tel:+13175550116"}}
    actions: {{Companion Get Call Context: timeout}}
    expect: {{disposition: {{queue: VIP Support}}, participantData: {{companion.status: ok}}}}
"""


def pytest_in(folder: Path, *args) -> subprocess.CompletedProcess:
    # -p no:cacheprovider: nothing written beside the files; rootdir is the folder, so the plugin comes from the
    # installed entry point and not from this repository's configuration.
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--rootdir", str(folder),
                           "-c", "/dev/null", *args], cwd=folder, capture_output=True, text=True, timeout=120)


def test_scenario_files_are_collected_failures_show_the_diff_and_broken_files_are_collection_errors(tmp_path):
    (tmp_path / "sample.scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    (tmp_path / "other.yaml").write_text("not: [a scenario file\n", encoding="utf-8")  # not collected
    (tmp_path / "broken.scenarios.yaml").write_text(textwrap.dedent("""\
        flow: missing.yaml
        scenarios: [{name: a, call: {ani: "tel:+1"}, expect: {}}]
        """), encoding="utf-8")
    run = pytest_in(tmp_path, "-v", "--continue-on-collection-errors")
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "sample.scenarios.yaml::failure goes to the default queue PASSED" in out
    assert "sample.scenarios.yaml::timeout expected to reach the VIP queue FAILED" in out
    assert "scenario 'timeout expected to reach the VIP queue' failed:" in out
    assert "expect.disposition: expected {queue: VIP Support}, got {queue: General Support}" in out
    assert '-companion.status: "ok"' in out and '+companion.status: "timeout"' in out
    assert "ERROR collecting broken.scenarios.yaml" in out
    assert "scenarios[0].expect: {} should be non-empty" in out
    assert "1 failed, 1 passed, 1 error" in out and "other.yaml" not in out


def test_k_selects_scenarios_and_flow_coverage_reports_and_fails_under_a_threshold(tmp_path):
    # Without the queue-unavailable scenario the VIP transfer's failure output is untaken too: 9/11.
    sample = ROOT / "architect" / "scenarios" / "companion-sample-inbound-call.scenarios.yaml"
    run = pytest_in(tmp_path, str(sample), "-k", "not unavailable", "--flow-coverage-fail-under", "85")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "6 passed, 1 deselected" in run.stdout
    assert "81.8%  9/11 branches  Companion Sample Inbound Call" in run.stdout
    assert "untaken: transferToAcd: Transfer to VIP queue -> failure" in run.stdout
    assert "coverage of Companion Sample Inbound Call is 81.8%, below --flow-coverage-fail-under 85%" in run.stdout
