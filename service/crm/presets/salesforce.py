"""Salesforce: OAuth 2.0 client credentials, SOSL search over phone and e-mail fields, Contact records.

- Token: POST {instance}/services/oauth2/token, grant_type=client_credentials; the answer (access_token,
  instance_url, id, token_type, issued_at, signature) has no expires_in.
  https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_client_credentials_flow.htm
- Search: GET /services/data/vXX.X/search/?q=FIND {...} IN PHONE FIELDS RETURNING Contact(fields LIMIT 1),
  answered as {"searchRecords": [{"attributes": {...}, "Id": ..., ...}]}.
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_search.htm
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_sosl_in.htm
- SOSL splits words on spaces and punctuation, so the phrase "317 555 0116" finds (317) 555-0116,
  317-555-0116 and 317.555.0116; the digit runs find numbers typed without separators. Reserved characters
  are escaped with a backslash.
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_sosl_find.htm
- By id: GET /services/data/vXX.X/sobjects/Contact/{id}?fields=..., the record itself.
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm
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

DEFAULT_API_VERSION = "62.0"
FIELD_MAP = {
    "customerId": "Id",
    "firstName": "FirstName",
    "lastName": "LastName",
    "displayName": "Name",
    "email": "Email",
    "phone": "Phone",
    "accountNumber": "Account.AccountNumber",
}
# SOSL reserved characters, escaped with a backslash inside FIND {...}.
_RESERVED = re.compile(r"([?&|!{}\[\]()^~*:\\\"'+\-])")
# Salesforce record ids: 15 characters, or 18 with the case-safe suffix.
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_VERSION = re.compile(r"^\d{2,3}\.\d$")


def problems(settings: Settings) -> list[str]:
    """Salesforce needs the instance URL and the connected app's client id and secret."""
    found = base_url_problems(settings, "https://example.my.salesforce.com")
    found += required(settings, "CLIENT_ID", "CLIENT_SECRET", why="the external client app's consumer key and secret")
    found += token_url_problems(settings)
    if settings.crm_api_version and not _VERSION.match(settings.crm_api_version):
        found.append(f"COMPANION_CRM_API_VERSION: {settings.crm_api_version!r} is not a REST API version such as 62.0")
    for name, vendor in custom_names(settings).items():
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$", vendor):
            found.append(f"COMPANION_FIELDS_FILE: {name}: path {vendor!r} is not a Salesforce field name such as Tier__c")
    return found


def sosl_escape(text: str) -> str:
    """text with SOSL's reserved characters escaped, for use inside FIND {...}."""
    return _RESERVED.sub(r"\\\1", text)


class SalesforceRequest:
    """Finds a Contact by phone or e-mail (SOSL) or by id (sObject Rows)."""

    keys = frozenset({"customerId", "phone", "email"})

    def __init__(self, settings: Settings):
        version = settings.crm_api_version or DEFAULT_API_VERSION
        self._api = f"{base(settings)}/services/data/v{version}"
        paths = {**FIELD_MAP, **custom_names(settings)}
        self.fields = tuple(dict.fromkeys(paths.values()))

    def build(self, key: str, value: str) -> OutgoingRequest | None:
        if key == "customerId":
            if not _ID.match(value):
                return None  # not a Salesforce id: no Contact has it
            url = with_query(f"{self._api}/sobjects/Contact/{value}", {"fields": ",".join(self.fields)})
            return OutgoingRequest("GET", url, record_path="")
        if key == "phone":
            forms = phone_forms(value)
            grouped = " ".join(re.findall(r"\d+", forms.national))
            terms = dict.fromkeys((f'"{grouped}"', forms.national_digits, forms.e164_digits))
            search = f"FIND {{{' OR '.join(terms)}}} IN PHONE FIELDS"
        elif key == "email":
            search = f"FIND {{{sosl_escape(value)}}} IN EMAIL FIELDS"
        else:
            return None
        query = f"{search} RETURNING Contact({', '.join(self.fields)} LIMIT 1)"
        return OutgoingRequest("GET", with_query(f"{self._api}/search/", {"q": query}))


def endpoint(settings: Settings) -> Endpoint:
    """The Salesforce endpoint for these settings."""
    token_url = settings.crm_token_url or f"{base(settings)}/services/oauth2/token"
    return Endpoint(
        request=SalesforceRequest(settings),
        record_path="searchRecords",
        field_paths={**FIELD_MAP, **custom_names(settings), **settings.crm_field_map},
        credentials=ClientCredentials(token_url, settings.crm_client_id, settings.crm_client_secret),
        credential_hint="COMPANION_CRM_CLIENT_ID and COMPANION_CRM_CLIENT_SECRET",
    )
