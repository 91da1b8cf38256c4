"""The service's base URL as the command line takes it (`export --base-url`, `action run --base-url`,
`simulate --service-url`): one rule for every command, and Genesys's own requirement spelled out."""

from __future__ import annotations

from urllib.parse import urlsplit

# Genesys Cloud calls web-services data actions over the public internet, and a remote endpoint whose TLS
# certificate does not validate fails the action ("Data action fails during testing",
# https://help.mypurecloud.com/articles/data-action-fails-during-testing/). docs/reference/data-actions.md §4.4.
HTTP_WARNING = ("warning: {option} {url} is plain http; Genesys Cloud calls data actions only over HTTPS with a "
                "certificate it can validate, so use an https:// URL for anything Genesys will import")


class BaseUrlError(ValueError):
    """The URL is not an absolute http(s) URL of a host; the message names the option."""


def check_base_url(url: str, option: str) -> str:
    """url without a trailing slash, or BaseUrlError naming `option` (e.g. "localhost:8080" has no scheme)."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        hint = f"; did you mean http://{text}?" if "://" not in text and text else ""
        raise BaseUrlError(f"{option} {url!r}: must be an absolute http(s) URL such as "
                           f"https://companion.example.com{hint}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise BaseUrlError(f"{option} {url!r}: must not carry a query, fragment or credentials")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise BaseUrlError(f"{option} {url!r}: the port is not a number from 0 to 65535") from None
    return text.rstrip("/")


def is_plain_http(url: str) -> bool:
    return urlsplit(url.strip()).scheme == "http"
