"""OAuth 2.0 client-credentials access tokens for a CRM: fetched with authlib, cached per process, refreshed
before they expire and once after the CRM refuses one (docs/crm.md, "OAuth 2.0 tokens").

The grant is RFC 6749 §4.4: POST grant_type=client_credentials (here with client_id and client_secret in the
form body, "client_secret_post", which Salesforce and Microsoft Entra ID both accept) to the token endpoint;
the answer's access_token goes into "Authorization: Bearer ...". https://www.rfc-editor.org/rfc/rfc6749#section-4.4
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

# Salesforce's client-credentials answer has no expires_in: the token lives as long as the org's session
# timeout, 2 hours by default and 15 minutes at the shortest (Session Settings). Refreshing after 15 minutes
# never uses a token the org has already expired, and costs one token call per quarter hour per process.
# https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_client_credentials_flow.htm
DEFAULT_LIFETIME_S = 15 * 60
# A token is replaced this long before its expiry (or a tenth of its lifetime, if shorter), so a lookup
# never sends one that expires on the way.
REFRESH_MARGIN_S = 60.0


class TokenError(Exception):
    """No token could be had; the message is safe to log (never the secret, never the token)."""

    def __init__(self, reason: str, *, timeout: bool = False, refused: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.timeout = timeout
        # The endpoint answered and said no: our credentials, not its health.
        self.refused = refused


@dataclasses.dataclass(frozen=True)
class ClientCredentials:
    """Where and how to ask for a token."""

    token_url: str
    client_id: str
    client_secret: str
    scope: str = ""

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, secret=<redacted>)"


class ClientCredentialsToken:
    """One cached access token per process, shared by the lookup threads; `fetches` counts token calls."""

    def __init__(self, credentials: ClientCredentials, *, clock: Callable[[], float] = time.monotonic):
        self._credentials = credentials
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self.fetches = 0
        self._session = OAuth2Session(
            credentials.client_id,
            credentials.client_secret,
            scope=credentials.scope or None,
            token_endpoint_auth_method="client_secret_post",
        )
        # Settings are read once; no proxies or .netrc credentials from the environment.
        self._session.trust_env = False

    def get(self, timeout: float) -> str:
        """A token that is not about to expire: the cached one, or a new one fetched within `timeout` seconds.

        :raise TokenError: the token endpoint refused, failed or did not answer in time.
        """
        with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            return self._fetch(timeout)

    def invalidate(self, token: str) -> None:
        """Forget `token` (the CRM refused it); the next get() fetches a new one unless another thread has."""
        with self._lock:
            if self._token == token:
                self._token = None

    def close(self) -> None:
        """Close the token endpoint's pooled connections."""
        self._session.close()

    def _fetch(self, timeout: float) -> str:
        if timeout <= 0:
            raise TokenError("no time left to fetch an OAuth token", timeout=True)
        started = self._clock()
        self.fetches += 1
        try:
            token = self._session.fetch_token(
                self._credentials.token_url, grant_type="client_credentials", timeout=timeout
            )
        except requests.Timeout:
            raise TokenError(f"OAuth token endpoint gave no answer within {timeout * 1000:.0f} ms", timeout=True) from None
        except requests.ConnectionError:
            raise TokenError("could not connect to the OAuth token endpoint") from None
        except OAuthError as exc:
            # RFC 6749 §5.2: {"error": "invalid_client", ...}; the error code names the fault, never a secret.
            raise TokenError(
                f"OAuth token endpoint refused the client credentials ({exc.error})", refused=True
            ) from None
        except (requests.RequestException, ValueError) as exc:
            raise TokenError(f"OAuth token endpoint answer is not a token ({type(exc).__name__})") from None
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise TokenError("OAuth token endpoint answered without an access_token")
        lifetime = _lifetime(token.get("expires_in"))
        self._token = access
        self._refresh_at = started + lifetime - min(REFRESH_MARGIN_S, lifetime / 10)
        return access


def _lifetime(expires_in: object) -> float:
    """Seconds the token lives: expires_in (RFC 6749 §5.1, optional; a string in some answers) or the default."""
    try:
        seconds = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_S
    return seconds if seconds > 0 else DEFAULT_LIFETIME_S
