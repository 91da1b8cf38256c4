"""Start-up with a bad configuration: one line per problem naming its variable, exit status 2, no traceback.

Run through the real entry points (`companion serve` and `gunicorn -c service/gunicorn_conf.py`), because the
traceback this guards against came from gunicorn loading the app.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

KEY = "startup-test-key-0123456789"
SECRET = "startup-test-secret-0123456789"
BIN = Path(sys.executable).parent


def _start(command: list[str], tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env.update({"COMPANION_API_KEYS": KEY, "COMPANION_TRACE_SECRET": SECRET, "COMPANION_BIND": "127.0.0.1:0"})
    env.update(variables)
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


def _not_a_database(tmp_path: Path) -> str:
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are not the customers you are looking for\n")
    return str(path)


CASES = {
    "missing database": (lambda tmp: {"COMPANION_SQLITE_PATH": "missing/crm.sqlite3"},
                         ["COMPANION_SQLITE_PATH: missing/crm.sqlite3 does not exist (relative to the working directory",
                          "companion crm import"]),
    "not a companion database": (lambda tmp: {"COMPANION_SQLITE_PATH": _not_a_database(tmp)},
                                 ["COMPANION_SQLITE_PATH:", "is not a readable SQLite database"]),
    "a directory": (lambda tmp: {"COMPANION_SQLITE_PATH": str(tmp)}, ["COMPANION_SQLITE_PATH:", "is a directory"]),
    "unknown placeholder and unknown field": (
        lambda tmp: {"COMPANION_CRM_BACKEND": "http", "COMPANION_CRM_URL_TEMPLATE": "https://crm.example/c/{bogus}",
                     "COMPANION_CRM_FIELD_MAP": '{"loyalty": "$.points"}'},
        ["COMPANION_CRM_URL_TEMPLATE: has the placeholder {bogus}", "COMPANION_CRM_FIELD_MAP: unknown field(s) loyalty"]),
    "unreadable field-map file": (
        lambda tmp: {"COMPANION_CRM_BACKEND": "http", "COMPANION_CRM_URL_TEMPLATE": "https://crm.example/c/{phone}",
                     "COMPANION_CRM_FIELD_MAP": f"@{tmp}/no-such-map.json"},
        ["COMPANION_CRM_FIELD_MAP: cannot read", "no-such-map.json"]),
    "several problems at once": (
        lambda tmp: {"COMPANION_SQLITE_PATH": "missing.sqlite3", "COMPANION_WORKERS": "0", "COMPANION_TIERS": " , "},
        ["COMPANION_SQLITE_PATH:", "COMPANION_WORKERS:", "COMPANION_TIERS:"]),
}


@pytest.mark.parametrize("entry", ["companion serve", "gunicorn -c"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_configuration_stops_with_one_line_per_problem(case, entry, tmp_path):
    variables, expected = CASES[case]
    command = ([str(BIN / "companion"), "serve", "--port", "0"] if entry == "companion serve"
               else [str(BIN / "gunicorn"), "-c", str(ROOT / "service" / "gunicorn_conf.py")])
    completed = _start(command, tmp_path, **variables(tmp_path))
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output
    assert "Traceback" not in output, output
    problem_lines = [line.strip() for line in completed.stderr.splitlines()[1:]]
    assert completed.stderr.startswith("companion: cannot start, invalid configuration:\n"), output
    assert all(line.startswith("COMPANION_") for line in problem_lines), output
    for text in expected:
        assert text in output, output
    assert len(problem_lines) >= sum(1 for text in expected if text.startswith("COMPANION_")), output
