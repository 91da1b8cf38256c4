"""`companion export` from the command line: never rewrites the committed artifacts unless asked, says where
the files went, and warns about plain-http URLs that Genesys would not call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPANION = Path(sys.executable).with_name("companion")


def test_export_in_a_clone_leaves_git_status_clean(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=60)
    done = subprocess.run([str(COMPANION), "export", "--base-url", "https://companion.example.com"],
                          cwd=clone, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = clone / "companion-export"
    assert f"11 files in {out}" in done.stdout
    assert (out / "data-actions" / "Companion-Get-Call-Context.custom.json").is_file()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_plain_http_base_url_warns(tmp_path):
    done = subprocess.run([str(COMPANION), "export", "--base-url", "http://companion.example.com", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "Genesys Cloud calls data actions only over HTTPS" in done.stderr
    quiet = subprocess.run([str(COMPANION), "export", "--base-url", "https://companion.example.com", "--out",
                            str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert quiet.stderr == ""
