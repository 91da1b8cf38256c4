"""Python-service conventions a new user relies on: the licence, the version flag, a module entry point, and
`companion serve` loading only what serving needs (the simulator's YAML and JSONPath stacks stay unloaded)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Top-level packages only the authoring commands (check, export, simulate, action run) need.
AUTHORING_ONLY = {"architect", "ruamel", "yaml", "jsonpath_ng", "airspeed", "jsonschema"}


def test_the_licence_file_is_the_licence_pyproject_names():
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert "LICENSE" in PYPROJECT["project"]["license-files"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


@pytest.mark.parametrize("argv", [["companion", "-V"], ["companion", "--version"], [sys.executable, "-m", "service",
                                                                                       "--version"]])
def test_version_flag(argv):
    if argv[0] == "companion":
        argv = [str(Path(sys.executable).with_name("companion")), *argv[1:]]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"companion, version {version('architect-companion')}"


def test_python_m_service_is_the_same_command_line():
    done = subprocess.run([sys.executable, "-m", "service", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for command in ("serve", "check", "export", "simulate", "action", "crm"):
        assert f"  {command} " in done.stdout


def _modules_after(code: str, **env: str) -> set[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")} | env
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=environment, check=True)
    return {name.split(".")[0] for name in done.stdout.split()}


def test_the_command_line_and_the_served_app_load_no_authoring_stack(tmp_path):
    cli = _modules_after("from service.cli import cli\ncli.get_command(None, 'serve')")
    assert not cli & AUTHORING_ONLY, sorted(cli & AUTHORING_ONLY)
    app = _modules_after("import service.wsgi", COMPANION_DEMO="1", COMPANION_SQLITE_PATH=str(tmp_path / "d.sqlite3"))
    assert not app & AUTHORING_ONLY, sorted(app & AUTHORING_ONLY)
    # The authoring commands do load them, when they run.
    simulate = _modules_after("from service.cli import cli\ncli.get_command(None, 'simulate')")
    assert {"architect", "ruamel"} <= simulate
