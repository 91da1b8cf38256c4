"""Lookup keys from a request, normalised the way every backend expects them (service.crm.base.CrmBackend)."""

from __future__ import annotations

from collections.abc import Mapping

from service.crm.base import KEY_ORDER
from service.crm.phones import normalise_phone


def normalise_keys(data: Mapping[str, object], default_region: str) -> dict[str, str]:
    """Non-empty keys only, in KEY_ORDER: phone in E.164, email stripped and lower-cased, others stripped.

    :raise service.crm.phones.PhoneError: the phone is given but cannot be normalised.
    """
    keys = {}
    for name in KEY_ORDER:
        value = (data.get(name) or "").strip()
        if not value:
            continue
        if name == "phone":
            value = normalise_phone(value, default_region)
        elif name == "email":
            value = value.lower()
        keys[name] = value
    return keys
