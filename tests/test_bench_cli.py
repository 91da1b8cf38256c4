"""`python -m bench` (make bench): every benchmark in bench/ is registered and the command line is checked."""

import importlib
import subprocess
import sys
from pathlib import Path

from bench.__main__ import BENCHMARKS
from bench.__main__ import DEFAULT

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_module_is_registered_and_runnable():
    with_run = {
        path.stem for path in (ROOT / "bench").glob("*.py")
        if "\ndef run(" in path.read_text(encoding="utf-8")
    }
    assert with_run == {module.split(".")[1] for module in BENCHMARKS.values()}
    for module in BENCHMARKS.values():
        assert callable(importlib.import_module(module).run)
    assert set(DEFAULT) <= set(BENCHMARKS)


def test_an_unknown_name_is_refused_before_anything_runs():
    result = subprocess.run([sys.executable, "-m", "bench", "trace", "nope"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "unknown benchmark nope; choose from trace," in result.stderr
    assert "== trace ==" not in result.stdout
