"""Dynamics 365 / Dataverse: Microsoft Entra ID client credentials, and the Web API's contacts query.

- Token: POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token with grant_type=client_credentials,
  client_id, client_secret and scope={environment URL}/.default; the answer has token_type, expires_in and
  access_token.
  https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/authenticate-oauth
- Query: GET {environment}/api/data/v9.2/contacts?$select=...&$filter=telephone1 eq '...' or ...&$top=1,
  answered as {"@odata.context": "...", "value": [{...}]}. String literals are in single quotes, a quote
  inside doubled. eq compares the stored text, so every form of the number is asked for, in telephone1
  and mobilephone.
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/select-columns
- By id: GET contacts({contactid})?$select=..., the record itself.
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
"""

from __future__ import annotations

import re

from service.config import Settings
from service.crm.endpoint import Endpoint
from service.crm.oauth import ClientCredentials
from service.crm.presets.vendor_settings import base
from service.crm.presets.vendor_settings import base_url_problems
from service.crm.presets.vendor_settings import custom_names
from service.crm.presets.vendor_settings import required
from service.crm.presets.vendor_settings import token_url_problems
from service.crm.presets.vendor_settings import with_query
from service.crm.presets.phone_search import phone_forms
from service.crm.request_spec import OutgoingRequest

FIELD_MAP = {
    "customerId": "contactid",
    "firstName": "firstname",
    "lastName": "lastname",
    "displayName": "fullname",
    "email": "emailaddress1",
    "phone": "telephone1",
}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]*$")
# The OData headers the Web API documents for every request.
_HEADERS = {"OData-MaxVersion": "4.0", "OData-Version": "4.0"}


def problems(settings: Settings) -> list[str]:
    """Dynamics needs the environment URL, the Entra tenant, and the app registration's id and secret."""
    found = base_url_problems(settings, "https://example.crm.dynamics.com")
    found += required(settings, "TENANT", why="the Entra tenant id or domain of the app registration")
    found += required(settings, "CLIENT_ID", "CLIENT_SECRET", why="the app registration's client id and secret")
    found += token_url_problems(settings)
    if settings.crm_tenant and not re.match(r"^[A-Za-z0-9.\-]+$", settings.crm_tenant):
        found.append("COMPANION_CRM_TENANT: must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com")
    for name, vendor in custom_names(settings).items():
        if not _COLUMN.match(vendor):
            found.append(
                f"COMPANION_FIELDS_FILE: {name}: path {vendor!r} is not a Dataverse column's logical name "
                "such as new_tier"
            )
    return found


def odata_string(text: str) -> str:
    """An OData string literal: in single quotes, each quote inside doubled."""
    return "'" + text.replace("'", "''") + "'"


class DynamicsRequest:
    """Finds a contact by phone or e-mail ($filter) or by contactid."""

    keys = frozenset({"customerId", "phone", "email"})

    def __init__(self, settings: Settings):
        self._contacts = f"{base(settings)}/api/data/v9.2/contacts"
        self._select = ",".join(dict.fromkeys([*FIELD_MAP.values(), "mobilephone", *custom_names(settings).values()]))

    def build(self, key: str, value: str) -> OutgoingRequest | None:
        if key == "customerId":
            if not _GUID.match(value):
                return None  # contactid is a GUID
            return OutgoingRequest("GET", with_query(f"{self._contacts}({value})", {"$select": self._select}), None, _HEADERS, "")
        if key == "phone":
            forms = phone_forms(value).exact_forms
            condition = " or ".join(f"{column} eq {odata_string(form)}" for column in ("telephone1", "mobilephone") for form in forms)
        elif key == "email":
            condition = f"emailaddress1 eq {odata_string(value)}"
        else:
            return None
        params = {"$select": self._select, "$filter": condition, "$top": "1"}
        return OutgoingRequest("GET", with_query(self._contacts, params), None, _HEADERS)


def endpoint(settings: Settings) -> Endpoint:
    """The Dynamics endpoint for these settings."""
    environment = base(settings)
    token_url = settings.crm_token_url or f"https://login.microsoftonline.com/{settings.crm_tenant}/oauth2/v2.0/token"
    return Endpoint(
        request=DynamicsRequest(settings),
        record_path="value",
        field_paths={**FIELD_MAP, **custom_names(settings), **settings.crm_field_map},
        credentials=ClientCredentials(
            token_url, settings.crm_client_id, settings.crm_client_secret, f"{environment}/.default"
        ),
        credential_hint="COMPANION_CRM_CLIENT_ID and COMPANION_CRM_CLIENT_SECRET",
    )
