"""Fixtures for `companion doctor`: the recorded API path list and a way to run the command in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from architect.doctor.api_paths import load_api_paths
from service.cli import cli

HERE = Path(__file__).parent


def load_cases(name: str) -> list[dict]:
    """The cases of one corpus file beside this module."""
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def doctor_args(case: dict) -> tuple[list[str], str | None]:
    """Arguments (and stdin) that hand a corpus case to `companion doctor`: curl or HTTP text on stdin, else --url."""
    if "curl" in case or "http" in case:
        return ["doctor", "--json", "-"], case.get("curl") or case["http"]
    request = case["request"]
    args = ["doctor", "--json", "--method", request["method"], "--url", request["url"]]
    for header in request.get("headers", []):
        args += ["--header", header]
    if "body" in request:
        args += ["--body", request["body"]]
    return args, None


@pytest.fixture(scope="session")
def api_paths():
    return load_api_paths()


@pytest.fixture
def run_doctor():
    """Run `companion doctor ARGS` in-process; returns (exit code, parsed JSON or the text output)."""
    def run(args: list[str], stdin: str | None = None):
        result = CliRunner().invoke(cli, args, input=stdin)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        output = result.output
        return result.exit_code, (json.loads(output) if "--json" in args and result.exit_code in (0, 1) else output)
    return run
