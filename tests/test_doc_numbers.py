"""Figures that appear in more than one doc say the same thing everywhere, and examples match the demo data."""

from __future__ import annotations

import re
from pathlib import Path

from service.crm.demo import demo_records

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _import_seconds(name: str) -> set[str]:
    text = re.sub(r"\s+", " ", (DOCS / name).read_text(encoding="utf-8"))
    return set(re.findall(r"import`? of 1,000,000 rows into a new database took ([\d.]+) s", text))


def test_the_million_row_import_time_is_the_same_in_every_doc():
    crm, deploying = _import_seconds("crm.md"), _import_seconds("deploying.md")
    assert len(crm) == 1 and crm == deploying, (crm, deploying)


def test_the_vip_example_caller_has_the_tier_the_demo_gives_it():
    vip = next(c for c in demo_records() if c["phone"] == "+13175550116")
    text = (DOCS / "runtime.md").read_text(encoding="utf-8")
    assert f'"tier": "{vip["tier"]}"' in text and vip["tier"] == "platinum"
