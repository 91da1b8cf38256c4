"""`companion` run in-process (click's CliRunner) from the repository root: the same command, no process start."""

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def companion(monkeypatch):
    """companion(*args, cwd=ROOT, env=None) -> CompletedProcess-like (returncode, stdout, stderr)."""

    def run(*args, cwd=ROOT, env=None) -> subprocess.CompletedProcess:
        monkeypatch.chdir(cwd)
        result = CliRunner(env=env).invoke(cli, [str(arg) for arg in args], catch_exceptions=False)
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    return run
