"""The README quick start, run as a new user would: `make serve`, then the curl example with the printed key."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def readme_shell_commands() -> list[str]:
    """Every command in the README's ```sh blocks, continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


@pytest.fixture(scope="module")
def make_serve(tmp_path_factory):
    """`make serve PORT=<free>` in the repository, with a clean COMPANION_* environment."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    tmp_path = tmp_path_factory.mktemp("make-serve")
    env["COMPANION_SQLITE_PATH"] = str(tmp_path / "demo-crm.sqlite3")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PORT={port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120  # the first run may install the project into .venv
        key = None
        while time.monotonic() < deadline and process.poll() is None:
            match = re.search(r"export KEY=(\S+)", log_path.read_text(errors="replace"))
            if match:
                key = match.group(1)
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
            time.sleep(0.1)
        assert key, f"make serve printed no API key:\n{log_path.read_text(errors='replace')}"
        yield port, key, log_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_make_serve_prints_url_and_key_and_answers_the_readme_curl(make_serve):
    port, key, log_path = make_serve
    assert f"listening on http://127.0.0.1:{port}" in log_path.read_text()
    curl = next(c for c in readme_shell_commands() if c.startswith("curl ") and "/v1/trace" in c)
    completed = subprocess.run(
        curl.replace("127.0.0.1:8080", f"127.0.0.1:{port}"),
        shell=True, capture_output=True, text=True, env={**os.environ, "KEY": key}, timeout=30, check=True,
    )
    body = requests.models.complexjson.loads(completed.stdout)
    assert re.fullmatch(r"[0-9a-f]{32}", body["traceId"])
    assert body["traceparent"] == f"00-{body['traceId']}-{body['spanId']}-01"


def test_demo_key_is_refused_when_wrong(make_serve):
    port, key, _ = make_serve
    response = requests.post(
        f"http://127.0.0.1:{port}/v1/trace", json={"conversationId": "c"}, headers={"X-API-Key": key + "x"}, timeout=5
    )
    assert response.status_code == 401


def _run_readme_command(command: str, port: int, key: str, tmp_path: Path) -> subprocess.CompletedProcess:
    command = command.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("/tmp/companion-artifacts", str(tmp_path))
    return subprocess.run(
        command, shell=True, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "KEY": key}, timeout=120
    )


def test_every_readme_command_is_exercised_here():
    # make serve / make test run by CI and the fixture above; each other command has its own test below.
    handled = ("make serve", "make test", "curl ", ".venv/bin/companion check ", ".venv/bin/companion export ",
               ".venv/bin/companion simulate ")
    for command in readme_shell_commands():
        assert command.startswith(handled), f"README command without a test: {command}"


def test_readme_context_curl_returns_the_vip_caller(make_serve, tmp_path):
    port, key, _ = make_serve
    curl = next(c for c in readme_shell_commands() if c.startswith("curl ") and "/v1/context" in c)
    body = json.loads(_run_readme_command(curl, port, key, tmp_path).stdout)
    assert body["found"] is True and body["tier"] == "platinum" and body["vip"] is True
    assert body["phone"] == "+13175550116" and body["source"] == "sqlite"
    assert body["traceparent"] == f"00-{body['traceId']}-{body['spanId']}-01"


def test_readme_check_passes_on_the_committed_artifacts(make_serve, tmp_path):
    port, key, _ = make_serve
    command = next(c for c in readme_shell_commands() if " check " in c)
    completed = _run_readme_command(command, port, key, tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_readme_export_writes_the_committed_artifacts(make_serve, tmp_path):
    port, key, _ = make_serve
    command = next(c for c in readme_shell_commands() if " export " in c)
    completed = _run_readme_command(command, port, key, tmp_path)
    assert completed.returncode == 0, completed.stderr
    for name in ("data-actions/Companion-Get-Call-Context.custom.json", "terraform/actions.tf",
                 "flows/companion-sample-inbound-call.yaml"):
        assert (tmp_path / name).read_bytes() == (ROOT / "architect" / name).read_bytes(), name


def test_readme_simulate_routes_the_vip_caller_to_the_vip_queue(make_serve, tmp_path):
    port, key, _ = make_serve
    command = next(c for c in readme_shell_commands() if " simulate " in c)
    completed = _run_readme_command(command, port, key, tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "crm.tier = platinum" in completed.stdout
    assert "crm.found = true" in completed.stdout
    assert "Disposition: transferred to queue VIP Support" in completed.stdout
