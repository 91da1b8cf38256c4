"""What the four presets read from the settings (required values, the base URL, the fields file's vendor names),
and the query strings they build."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote
from urllib.parse import urlencode

from service.config import Settings
from service.crm.endpoint import is_web_url


def base_url_problems(settings: Settings, example: str) -> list[str]:
    """COMPANION_CRM_BASE_URL must be an http(s) URL with a host."""
    if not settings.crm_base_url:
        return [f"COMPANION_CRM_BASE_URL: required for COMPANION_CRM_BACKEND={settings.crm_backend}, e.g. {example}"]
    if not is_web_url(settings.crm_base_url):
        return [f"COMPANION_CRM_BASE_URL: must be an http:// or https:// URL with a host, e.g. {example}"]
    return []


def required(settings: Settings, *names: str, why: str) -> list[str]:
    """A line for each COMPANION_CRM_<NAME> that is empty."""
    return [
        f"COMPANION_CRM_{name}: required for COMPANION_CRM_BACKEND={settings.crm_backend} ({why})"
        for name in names
        if not getattr(settings, f"crm_{name.lower()}")
    ]


def token_url_problems(settings: Settings) -> list[str]:
    """COMPANION_CRM_TOKEN_URL, when given, must be an http(s) URL."""
    if settings.crm_token_url and not is_web_url(settings.crm_token_url):
        return ["COMPANION_CRM_TOKEN_URL: must be an http:// or https:// URL with a host"]
    return []


def custom_names(settings: Settings) -> dict[str, str]:
    """ourField -> the vendor's name for it, from the fields file's `path:` entries (e.g. tier -> Tier__c)."""
    return dict(settings.fields.paths)


def with_query(url: str, params: Mapping[str, str]) -> str:
    """url?params, each value percent-encoded (spaces as %20, which every vendor here accepts)."""
    return f"{url}?{urlencode(params, safe='$(),*', quote_via=quote)}"


def base(settings: Settings) -> str:
    """COMPANION_CRM_BASE_URL without a trailing slash."""
    return settings.crm_base_url.rstrip("/")
