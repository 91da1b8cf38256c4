"""Shared settings for the architect tests: where things are, and the documented example export."""

from __future__ import annotations

from pathlib import Path

import pytest

from architect.export.generate import generate_artifacts
from architect.export.options import make_options

REPO = Path(__file__).resolve().parents[2]
ARCHITECT = REPO / "architect"
HERE = Path(__file__).resolve().parent
# Real Genesys files (copied from tests/architect/genesys-examples, provenance in SOURCES.md).
EXAMPLES = HERE / "genesys-examples"
BROKEN = HERE / "broken"
# The settings the committed artifacts were generated with (docs/architect.md, and each file's header).
EXAMPLE_BASE_URL = "https://companion.example.com"
EXAMPLE_EXPORT_ARGS = ["--base-url", EXAMPLE_BASE_URL, "--auth", "bearer"]
GENERATED_DIRS = ("data-actions", "terraform", "flows")


@pytest.fixture(scope="session")
def example_files() -> dict[str, str]:
    """The artifacts generated in-process with the documented example settings."""
    return generate_artifacts(make_options(EXAMPLE_BASE_URL, auth="bearer"))


def committed_files() -> dict[str, str]:
    """Relative path -> text of every committed generated file under architect/."""
    files = {}
    for folder in GENERATED_DIRS:
        for path in sorted((ARCHITECT / folder).rglob("*")):
            if path.is_file():
                files[path.relative_to(ARCHITECT).as_posix()] = path.read_bytes().decode("utf-8")
    return files
