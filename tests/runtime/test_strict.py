"""`--strict` on `companion simulate` and `companion action run`: a data action that fails for a reason a real
call would not have (nothing listening, a refused key, an unresolved reference) fails the command, in one
readable line; without --strict the transcript says the same and the exit status follows the call."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parents[2]
COMPANION = Path(sys.executable).with_name("companion")
SAMPLE = ["simulate", "architect/flows/companion-sample-inbound-call.yaml", "--options",
          "architect/flows/options.example.yaml", "--actions", "architect/data-actions", "--ani", "tel:+13175550116"]
TRACE_ACTION = "architect/data-actions/Companion-Get-Trace-Context.custom.json"


def companion(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMPANION), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_simulate_strict_fails_when_nothing_listens(closed_port):
    args = [*SAMPLE, "--service-url", f"http://127.0.0.1:{closed_port}", "--credential", f"apiKey={API_KEY}"]
    relaxed = companion(*args)
    assert relaxed.returncode == 0, relaxed.stderr  # the call itself ends: the failure path transfers it
    fault = f"cannot reach http://127.0.0.1:{closed_port}/v1/context: connection refused"
    assert f"  - Companion Get Call Context: {fault}" in relaxed.stdout
    assert "urllib3" not in relaxed.stdout and "NewConnectionError" not in relaxed.stdout
    strict = companion(*args, "--strict")
    assert strict.returncode == 1 and strict.stdout.count(fault) == 2  # callData line and Local faults


def test_simulate_strict_fails_on_a_refused_key(demo_server):
    args = [*SAMPLE, "--service-url", demo_server.url, "--credential", "apiKey=not-the-right-key-at-all"]
    assert companion(*args).returncode == 0
    strict = companion(*args, "--strict")
    assert strict.returncode == 1
    assert "the service refused the credential (HTTP 401)" in strict.stdout


def test_simulate_strict_passes_a_clean_run(demo_server):
    done = companion(*SAMPLE, "--service-url", demo_server.url, "--credential", f"apiKey={API_KEY}", "--strict")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Local faults" not in done.stdout
    assert max(map(len, done.stdout.splitlines()[1:])) <= 120  # compact: one short line a step
    verbose = companion(*SAMPLE, "--service-url", demo_server.url, "--credential", f"apiKey={API_KEY}", "--verbose")
    assert "      at /inboundCall/tasks/task[companionContext]/actions[0]/callData" in verbose.stdout


def test_action_run_strict_fails_on_an_unresolved_credential(demo_server):
    args = ["action", "run", TRACE_ACTION, "--input", "conversationId=c-1", "--base-url", demo_server.url]
    relaxed = companion(*args)
    # Genesys would send the literal ${credentials.apiKey}; the service refuses it, so the run fails either way.
    assert relaxed.returncode == 1
    assert "render headers: unresolved ${credentials.apiKey}" in relaxed.stdout
    good = companion(*args, "--credential", f"apiKey={API_KEY}", "--strict")
    assert good.returncode == 0, good.stdout


@pytest.mark.parametrize("url", ["localhost:8080", "127.0.0.1:8080/", "ftp://example.com"])
def test_base_url_without_a_scheme_is_a_usage_error(url):
    done = companion("action", "run", TRACE_ACTION, "--input", "conversationId=c", "--base-url", url)
    assert done.returncode == 2
    assert "must be an absolute http(s) URL" in done.stderr and "Traceback" not in done.stderr
    if url == "localhost:8080":
        assert "did you mean http://localhost:8080?" in done.stderr
    simulate = companion(*SAMPLE, "--service-url", url)
    assert simulate.returncode == 2 and "must be an absolute http(s) URL" in simulate.stderr
