"""The CRM the HTTP backend talks to: how it finds a customer, where the record is in the answer, which of
its fields are ours, and how it authenticates. Built from the generic settings or from a vendor preset."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import urlsplit

from schemas.record import record_fields
from service.config import Settings
from service.crm.oauth import ClientCredentials
from service.crm.request_spec import METHODS
from service.crm.request_spec import OutgoingRequest
from service.crm.request_spec import TemplateRequest
from service.crm.request_spec import body_placeholders
from service.crm.request_spec import parse_body_template
from service.crm.request_spec import url_placeholders
from service.crm.base import KEY_ORDER


class RequestBuilder(Protocol):
    """Makes the request that finds a customer by one lookup key."""

    keys: frozenset[str]

    def build(self, key: str, value: str) -> OutgoingRequest | None: ...


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """Everything vendor-specific the HTTP transport (service/crm/http.py) needs."""

    request: RequestBuilder
    record_path: str = ""
    field_paths: Mapping[str, str] = dataclasses.field(default_factory=dict)
    credentials: ClientCredentials | None = None
    # The setting to check when the CRM refuses our credentials (401/403).
    credential_hint: str = "COMPANION_CRM_AUTH_HEADER"


def field_names(settings: Settings) -> tuple[str, ...]:
    """Our record's field names: the built-in ones and COMPANION_FIELDS_FILE's."""
    return tuple(field.name for field in record_fields(settings.fields.fields))


def is_web_url(url: str) -> bool:
    """An http:// or https:// URL with a host."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def generic_problems(settings: Settings) -> list[str]:
    """One line per invalid setting of the generic HTTP backend (COMPANION_CRM_BACKEND=http)."""
    problems = []
    template = settings.crm_url_template
    if not is_web_url(template):
        problems.append("COMPANION_CRM_URL_TEMPLATE: must be an http:// or https:// URL with a host")
    keys: set[str] = set()
    try:
        keys |= url_placeholders(template)
    except ValueError as exc:
        problems.append(f"COMPANION_CRM_URL_TEMPLATE: {exc}")
    if settings.crm_method not in METHODS:
        problems.append(f"COMPANION_CRM_METHOD: {settings.crm_method!r} is not one of {', '.join(METHODS)}")
    if settings.crm_body_template:
        if settings.crm_method == "GET":
            problems.append("COMPANION_CRM_BODY_TEMPLATE: a body needs COMPANION_CRM_METHOD=POST")
        try:
            keys |= body_placeholders(parse_body_template(settings.crm_body_template))
        except ValueError as exc:
            problems.append(f"COMPANION_CRM_BODY_TEMPLATE: {exc}")
    if not keys and not any(p.startswith("COMPANION_CRM_URL_TEMPLATE: has") for p in problems):
        allowed = ", ".join("{" + k + "}" for k in KEY_ORDER)
        problems.append(f"COMPANION_CRM_URL_TEMPLATE: uses no lookup key; put one of {allowed} in it (or in the body)")
    problems.extend(_token_problems(settings))
    return problems


def _token_problems(settings: Settings) -> list[str]:
    if not (settings.crm_token_url or settings.crm_client_id or settings.crm_client_secret):
        return []
    problems = []
    if not is_web_url(settings.crm_token_url):
        problems.append("COMPANION_CRM_TOKEN_URL: OAuth needs the token endpoint, an http:// or https:// URL")
    for name, value in (("CLIENT_ID", settings.crm_client_id), ("CLIENT_SECRET", settings.crm_client_secret)):
        if not value:
            problems.append(f"COMPANION_CRM_{name}: required for OAuth client credentials")
    return problems


def generic_endpoint(settings: Settings) -> Endpoint:
    """The endpoint of COMPANION_CRM_BACKEND=http (settings already checked by generic_problems)."""
    credentials = None
    if settings.crm_token_url:
        credentials = ClientCredentials(
            settings.crm_token_url, settings.crm_client_id, settings.crm_client_secret, settings.crm_scope
        )
    return Endpoint(
        request=TemplateRequest(
            settings.crm_method, settings.crm_url_template, settings.crm_body_template, settings.crm_headers
        ),
        record_path=settings.crm_record_path,
        field_paths={**settings.fields.paths, **settings.crm_field_map},
        credentials=credentials,
        credential_hint="COMPANION_CRM_CLIENT_ID/SECRET" if credentials else "COMPANION_CRM_AUTH_HEADER",
    )


# Settings only the generic backend reads, and settings only the presets read: one given to the other kind
# of backend would be silently ignored, so it is a start-up problem instead.
GENERIC_ONLY = ("crm_url_template", "crm_method", "crm_body_template", "crm_headers", "crm_scope", "crm_record_path")
PRESET_ONLY = ("crm_base_url", "crm_token", "crm_email", "crm_tenant", "crm_api_version")


def _unused(settings: Settings, names: tuple[str, ...], why: str) -> list[str]:
    defaults = Settings()
    return [
        f"COMPANION_{name.upper()}: {why}"
        for name in names
        if getattr(settings, name) != getattr(defaults, name)
    ]


def endpoint_problems(settings: Settings) -> list[str]:
    """One line per problem with the settings of the configured HTTP CRM, generic or preset."""
    if settings.crm_backend == "http":
        return generic_problems(settings) + _unused(
            settings, PRESET_ONLY, "only read by the presets (COMPANION_CRM_BACKEND=salesforce, hubspot, zendesk, dynamics)"
        )
    from service.crm.presets import preset_module

    return preset_module(settings.crm_backend).problems(settings) + _unused(
        settings, GENERIC_ONLY, f"not used with COMPANION_CRM_BACKEND={settings.crm_backend}, which builds its own request"
    )


def build_endpoint(settings: Settings) -> Endpoint:
    """The configured HTTP CRM's endpoint (settings checked by endpoint_problems first)."""
    if settings.crm_backend == "http":
        return generic_endpoint(settings)
    from service.crm.presets import preset_module

    return preset_module(settings.crm_backend).endpoint(settings)
