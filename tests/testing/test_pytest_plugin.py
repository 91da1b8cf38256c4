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


def test_scenario_files_are_collected_and_failures_show_the_diff(tmp_path):
    (tmp_path / "sample.scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    (tmp_path / "other.yaml").write_text("not: [a scenario file\n", encoding="utf-8")  # not collected
    run = pytest_in(tmp_path, "-v")
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "sample.scenarios.yaml::failure goes to the default queue PASSED" in out
    assert "sample.scenarios.yaml::timeout expected to reach the VIP queue FAILED" in out
    assert "scenario 'timeout expected to reach the VIP queue' failed:" in out
    assert "expect.disposition: expected {queue: VIP Support}, got {queue: General Support}" in out
    assert '-companion.status: "ok"' in out and '+companion.status: "timeout"' in out
    assert "1 failed, 1 passed" in out and "other.yaml" not in out


def test_k_selects_scenarios_and_a_broken_file_is_a_collection_error(tmp_path):
    (tmp_path / "sample.scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    run = pytest_in(tmp_path, "-k", "failure and not timeout")
    assert run.returncode == 0 and "1 passed, 1 deselected" in run.stdout
    (tmp_path / "broken.scenarios.yaml").write_text(textwrap.dedent("""\
        flow: missing.yaml
        scenarios: [{name: a, call: {ani: "tel:+1"}, expect: {}}]
        """), encoding="utf-8")
    run = pytest_in(tmp_path)
    assert run.returncode == 2
    assert "ERROR collecting broken.scenarios.yaml" in run.stdout
    assert "scenarios[0].expect: {} should be non-empty" in run.stdout
