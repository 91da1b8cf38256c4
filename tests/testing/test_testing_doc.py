"""docs/testing-flows.md stays true: its commands run, its outputs are what the commands print, its CI job parses."""

import re
import shlex
import subprocess
import textwrap
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "testing-flows.md").read_text(encoding="utf-8")
SAMPLE = ROOT / "architect" / "scenarios" / "companion-sample-inbound-call.scenarios.yaml"


def blocks(language: str) -> list[str]:
    """The fenced blocks of the doc whose info string is `language` ("" for plain ones), in order."""
    found, current, kind = [], None, None
    for line in DOC.splitlines(keepends=True):
        if line.startswith("```") and current is None:
            current, kind = [], line[3:].strip()
        elif line.startswith("```"):
            if kind == language:
                found.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return found


def run(companion, command: str, tmp_path: Path) -> subprocess.CompletedProcess:
    argv = [arg.replace("build/", f"{tmp_path}/") for arg in shlex.split(command)]
    assert argv[0] == "companion"
    return companion(*argv[1:])


def test_every_documented_command_runs(companion, tmp_path):
    commands = [line for block in blocks("sh") for line in block.splitlines() if line.startswith("companion ")]
    assert len(commands) >= 6
    for command in commands:
        done = run(companion, command, tmp_path)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert (tmp_path / "scenarios.xml").is_file() and (tmp_path / "sample-flow.html").is_file()
    assert list((tmp_path / "graphs").glob("*.html"))


def test_the_coverage_report_is_what_the_command_prints(companion, tmp_path):
    shown = next(block for block in blocks("") if block.startswith("Flow coverage"))
    printed = run(companion, "companion test architect/scenarios --coverage", tmp_path).stdout
    assert shown in printed


def test_the_failure_example_is_what_a_wrong_expectation_prints(companion, tmp_path):
    shown = next(block for block in blocks("") if block.startswith("FAIL"))
    (tmp_path / "checkout.scenarios.yaml").write_text(textwrap.dedent(f"""\
        flow: {ROOT}/architect/flows/companion-sample-inbound-call.yaml
        options: {ROOT}/architect/flows/options.example.yaml
        actions: {ROOT}/architect/data-actions
        scenarios:
          - name: vip goes to gold
            call: {{ani: "tel:+13175550116"}}
            actions:
              Companion Get Call Context:
                success: {{traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ddTraceId: "1",
                          ddSpanId: "2", found: true, degraded: false, source: sqlite, customerId: C1,
                          displayName: Ada, tier: platinum, segment: e, preferredLanguage: en-US, priority: 95,
                          vip: true, openCases: 1}}
            expect: {{participantDataIncludes: {{crm.tier: gold}}}}
        """), encoding="utf-8")
    done = companion("test", "checkout.scenarios.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith(shown)


def test_the_scenario_excerpt_is_the_sample_files(tmp_path):
    excerpt = YAML(typ="safe", pure=True).load(blocks("yaml")[0])
    sample = YAML(typ="safe", pure=True).load(SAMPLE.read_text(encoding="utf-8"))
    assert {k: excerpt[k] for k in ("flow", "options", "actions")} == {k: sample[k] for k in ("flow", "options",
                                                                                               "actions")}
    shown, = excerpt["scenarios"]
    assert shown in sample["scenarios"]


def test_the_github_actions_job_parses_and_runs_a_tested_command(companion, tmp_path):
    job = YAML(typ="safe", pure=True).load(next(b for b in blocks("yaml") if b.startswith("name: flow scenarios")))
    steps = job["jobs"]["scenarios"]["steps"]
    assert set(job["on"]) == {"pull_request", "push"}
    commands = [step["run"] for step in steps if "run" in step]
    test_command = next(c for c in commands if c.startswith("companion test"))
    done = run(companion, test_command, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "scenarios.xml").is_file()
