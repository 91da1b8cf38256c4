"""README.md stays true: its configuration table is exactly the settings the service reads, defaults included."""

from __future__ import annotations

import re

from service.config import Settings
from service.config import _SettingsSchema
from tests.servers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `(COMPANION_\w+)` \| (.+?) \| (.+?) \|$", re.M)


def readme_settings() -> dict[str, str]:
    """Variable -> the README's default cell."""
    return {name: default for name, default, _meaning in ROW.findall(README)}


def test_every_setting_is_documented_and_every_documented_setting_exists():
    read = {field.data_key for field in _SettingsSchema().fields.values()}
    assert set(readme_settings()) == read


def _as_readme_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_documented_literal_defaults_are_the_real_defaults():
    defaults = Settings()
    fields = {field.data_key: name for name, field in _SettingsSchema().fields.items()}
    checked = 0
    for variable, cell in readme_settings().items():
        literal = re.fullmatch(r"`([^`]*)`", cell)
        if not literal:
            continue  # described in words: "(none; required ...)", "number of CPUs", ...
        assert _as_readme_text(getattr(defaults, fields[variable])) == literal.group(1), variable
        checked += 1
    assert checked >= 15


def test_defaults_described_in_words_are_empty_or_computed():
    defaults = Settings()
    fields = {field.data_key: name for name, field in _SettingsSchema().fields.items()}
    for variable, cell in readme_settings().items():
        if cell.startswith("(none"):
            assert getattr(defaults, fields[variable]) in ("", (), None), variable


def test_every_relative_link_points_at_a_file():
    links = re.findall(r"\]\(([^)#:]+)\)", README)
    assert links
    for link in links:
        assert (ROOT / link).is_file(), link
