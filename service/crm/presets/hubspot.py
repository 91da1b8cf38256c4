"""HubSpot: a private app's access token, and the CRM v3 contacts search with filterGroups.

- Auth: "Authorization: Bearer <private app access token>".
  https://developers.hubspot.com/docs/guides/apps/private-apps/overview
- Search: POST /crm/v3/objects/contacts/search with {"filterGroups": [{"filters": [...]}], "properties": [...],
  "limit": 1}; groups are ORed, filters in a group ANDed; "IN" takes "values". The answer is
  {"total": n, "results": [{"id": "...", "properties": {...}, ...}]}.
  https://developers.hubspot.com/docs/guides/api/crm/search
- HubSpot keeps phone and mobilephone as typed and EQ/IN compare the text, so the search asks for each
  form of the number (service/crm/presets/phone_search.py) in both properties.
"""

from __future__ import annotations

import re

from service.config import Settings
from service.crm.endpoint import Endpoint
from service.crm.presets.vendor_settings import base
from service.crm.presets.vendor_settings import custom_names
from service.crm.presets.vendor_settings import required
from service.crm.presets.phone_search import phone_forms
from service.crm.request_spec import OutgoingRequest
from service.crm.request_spec import encode_json

DEFAULT_BASE_URL = "https://api.hubapi.com"
FIELD_MAP = {
    "customerId": "id",
    "firstName": "properties.firstname",
    "lastName": "properties.lastname",
    "email": "properties.email",
    "phone": "properties.phone",
    "preferredLanguage": "properties.hs_language",
}
_PROPERTY = re.compile(r"^[a-z0-9_]+$")


def problems(settings: Settings) -> list[str]:
    """HubSpot needs the private app's token; the base URL defaults to api.hubapi.com."""
    found = required(settings, "TOKEN", why="the private app's access token")
    if settings.crm_base_url and not re.match(r"^https?://[^/\s]+", settings.crm_base_url):
        found.append(f"COMPANION_CRM_BASE_URL: must be an http:// or https:// URL with a host, e.g. {DEFAULT_BASE_URL}")
    for name, vendor in custom_names(settings).items():
        if not _PROPERTY.match(vendor):
            found.append(
                f"COMPANION_FIELDS_FILE: {name}: path {vendor!r} is not a HubSpot property's internal name "
                "(lower case, digits and _)"
            )
    return found


def _properties(settings: Settings) -> list[str]:
    standard = [path.removeprefix("properties.") for path in FIELD_MAP.values() if path.startswith("properties.")]
    return list(dict.fromkeys([*standard, "mobilephone", *custom_names(settings).values()]))


class HubSpotRequest:
    """Finds a contact by phone, e-mail or record id, all through the search endpoint."""

    keys = frozenset({"customerId", "phone", "email"})

    def __init__(self, settings: Settings):
        self._url = f"{base(settings) if settings.crm_base_url else DEFAULT_BASE_URL}/crm/v3/objects/contacts/search"
        self._properties = _properties(settings)
        self._headers = {"Authorization": f"Bearer {settings.crm_token}", "Content-Type": "application/json"}

    def build(self, key: str, value: str) -> OutgoingRequest | None:
        if key == "phone":
            forms = list(phone_forms(value).exact_forms)
            groups = [
                {"filters": [{"propertyName": prop, "operator": "IN", "values": forms}]}
                for prop in ("phone", "mobilephone")
            ]
        elif key == "email":
            groups = [{"filters": [{"propertyName": "email", "operator": "EQ", "value": value}]}]
        elif key == "customerId":
            if not value.isdigit():
                return None  # HubSpot record ids are numbers
            groups = [{"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": value}]}]
        else:
            return None
        body = {"filterGroups": groups, "properties": self._properties, "limit": 1}
        return OutgoingRequest("POST", self._url, encode_json(body), self._headers)


def endpoint(settings: Settings) -> Endpoint:
    """The HubSpot endpoint for these settings."""
    custom = {name: f"properties.{vendor}" for name, vendor in custom_names(settings).items()}
    return Endpoint(
        request=HubSpotRequest(settings),
        record_path="results",
        field_paths={**FIELD_MAP, **custom, **settings.crm_field_map},
        credential_hint="COMPANION_CRM_TOKEN",
    )
