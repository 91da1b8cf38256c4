"""Vendor presets for the HTTP backend: COMPANION_CRM_BACKEND=salesforce, hubspot, zendesk or dynamics.

Each module holds one vendor's documented search request, answer shape, default field map and
authentication, with `problems(settings)` and `endpoint(settings)` (docs/crm.md, "CRM presets").
"""

from __future__ import annotations

import importlib
from types import ModuleType

PRESETS = ("salesforce", "hubspot", "zendesk", "dynamics")


def preset_module(name: str) -> ModuleType:
    """The module of one preset (imported when used: `companion serve` loads only the configured one)."""
    if name not in PRESETS:
        raise ValueError(f"unknown CRM preset {name!r}; expected one of {', '.join(PRESETS)}")
    return importlib.import_module(f"service.crm.presets.{name}")
