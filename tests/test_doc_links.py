"""The repository stands alone: every relative link in the Markdown files and every `docs/...` path named in
a doc or a code comment exists, and nothing cites notes that live outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRACKED = [ROOT / name for name in subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                                   check=True).stdout.splitlines()]
TEXT_FILES = [p for p in TRACKED if p.suffix in {".md", ".py", ".yaml", ".yml", ".toml", ".tf", ".cfg"}
              or p.name in {"Makefile", "run"}]
MARKDOWN = [p for p in TEXT_FILES if p.suffix == ".md"]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_DOCS_PATH = re.compile(r"(?<![\w./-])docs/[\w./-]*[\w-]\.md")
# Notes kept outside the repository while it was being built; the facts now live in docs/reference/.
_OUTSIDE = re.compile(r"\.\./shared|/shared/reference|archy-flow-yaml\.md|genesys-data-actions\.md|ecosystem\.md")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    missing = []
    for target in _LINK.findall(_text(path)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor in the same page
        relative = target.split("#", 1)[0]
        if relative and not (path.parent / relative).exists():
            missing.append(target)
    assert missing == [], f"{path.relative_to(ROOT)} links to missing files: {missing}"


def test_every_docs_path_named_anywhere_exists():
    missing = sorted({(str(p.relative_to(ROOT)), name) for p in TEXT_FILES for name in _DOCS_PATH.findall(_text(p))
                      if not (ROOT / name).is_file()})
    assert missing == [], missing


def test_nothing_cites_notes_outside_the_repository():
    this = Path(__file__).resolve()
    citing = sorted(str(p.relative_to(ROOT)) for p in TEXT_FILES if p != this and _OUTSIDE.search(_text(p)))
    assert citing == [], citing


def test_the_checks_above_see_the_files_they_should():
    # Guards the guards: the file list is the repository's, and the patterns find real links and paths.
    assert ROOT / "README.md" in MARKDOWN and ROOT / "docs" / "flows.md" in MARKDOWN
    assert _LINK.findall("see [the guide](docs/flows.md#keyed-input)") == ["docs/flows.md#keyed-input"]
    assert _DOCS_PATH.findall("(docs/reference/archy-flows.md §4)") == ["docs/reference/archy-flows.md"]
    assert _OUTSIDE.search("see ../shared/reference/x.md")
