"""Zendesk: an API token, and the Search API over users.

- Auth: Basic base64("{agent e-mail}/token:{api token}").
  https://developer.zendesk.com/api-reference/introduction/security-and-auth/
- Search: GET /api/v2/search.json?query=type:user phone:*{digits}. Zendesk asks for digits only (no +,
  spaces or dashes) and a leading * to find the number however it was typed ("+1 513.555.7611",
  "(513) 555-7611", ...). The answer is {"results": [{"id": 1, "result_type": "user", ...}], "count": n}.
  https://developer.zendesk.com/documentation/voice/talk-partner-edition/retrieving-the-zendesk-user-id-of-a-caller/
  https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/
- By id: GET /api/v2/users/{id}.json, answered as {"user": {...}}.
  https://developer.zendesk.com/api-reference/ticketing/users/users/#show-user
- Custom user fields are under "user_fields", keyed by the field's key.
"""

from __future__ import annotations

import base64
import re

from service.config import Settings
from service.crm.endpoint import Endpoint
from service.crm.presets.vendor_settings import base
from service.crm.presets.vendor_settings import base_url_problems
from service.crm.presets.vendor_settings import custom_names
from service.crm.presets.vendor_settings import required
from service.crm.presets.vendor_settings import with_query
from service.crm.presets.phone_search import phone_forms
from service.crm.request_spec import OutgoingRequest

FIELD_MAP = {
    "customerId": "id",
    "displayName": "name",
    "email": "email",
    "phone": "phone",
    "preferredLanguage": "locale",
}
# Characters that would end the search term or start another one in Zendesk's query syntax.
_QUERY_BREAKERS = re.compile(r'[\s"]')


def problems(settings: Settings) -> list[str]:
    """Zendesk needs the subdomain URL, the agent's e-mail and an API token."""
    found = base_url_problems(settings, "https://example.zendesk.com")
    found += required(settings, "EMAIL", "TOKEN", why="the agent e-mail and API token of Basic auth")
    return found


class ZendeskRequest:
    """Finds a user by phone or e-mail (Search API) or by id (Show User)."""

    keys = frozenset({"customerId", "phone", "email"})

    def __init__(self, settings: Settings):
        self._base = base(settings)
        pair = f"{settings.crm_email}/token:{settings.crm_token}".encode("utf-8")
        self._headers = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def build(self, key: str, value: str) -> OutgoingRequest | None:
        if key == "customerId":
            if not value.isdigit():
                return None  # Zendesk user ids are numbers
            return OutgoingRequest("GET", f"{self._base}/api/v2/users/{value}.json", None, self._headers, "user")
        if key == "phone":
            term = f"phone:*{phone_forms(value).national_digits}"
        elif key == "email":
            if _QUERY_BREAKERS.search(value):
                return None
            term = f"email:{value}"
        else:
            return None
        url = with_query(f"{self._base}/api/v2/search.json", {"query": f"type:user {term}"})
        return OutgoingRequest("GET", url, None, self._headers)


def endpoint(settings: Settings) -> Endpoint:
    """The Zendesk endpoint for these settings."""
    custom = {name: f"user_fields.{vendor}" for name, vendor in custom_names(settings).items()}
    return Endpoint(
        request=ZendeskRequest(settings),
        record_path="results",
        field_paths={**FIELD_MAP, **custom, **settings.crm_field_map},
        credential_hint="COMPANION_CRM_EMAIL and COMPANION_CRM_TOKEN",
    )
