"""The customer's own CRM over HTTP, answered inside a deadline whatever the CRM does (docs/crm.md, "HTTP backend").

One lookup: pick the key the URL template uses -> fresh cache entry? -> breaker allows? -> GET with one
retry on connection errors and 502/503/504 while the budget lasts -> map the JSON to our fields. Any
failure answers degraded: the last good record from the cache (source "cache", outcome "stale") or nothing.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import json
import logging
import socket
import time
from collections.abc import Callable
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import requests
import urllib3
from requests.adapters import HTTPAdapter

from service import metrics
from service.config import ConfigError
from service.config import Settings
from service.crm.base import KEY_ORDER
from service.crm.base import Lookup
from service.crm.breaker import CircuitBreaker
from service.crm.cache import TtlCache
from schemas.record import record_fields
from service.crm.coerce import coerce_record
from service.crm.endpoint import build_endpoint
from service.crm.endpoint import endpoint_problems
from service.crm.endpoint import field_names
from service.crm.oauth import ClientCredentialsToken
from service.crm.oauth import TokenError
from service.crm.request_spec import HEADER_NAME
from service.crm.request_spec import OutgoingRequest
from service.crm.request_spec import path_placeholders  # noqa: F401  (its tests import it from here)
from service.crm.fieldmap import FieldMap
from service.crm.fieldmap import PathError
from service.crm.fieldmap import WrongShape

log = logging.getLogger("companion.crm")

RETRY_STATUSES = frozenset({502, 503, 504})
# A CRM that says "too many requests" or "you took too long to send" is overloaded like one answering 5xx.
OVERLOAD_STATUSES = frozenset({408, 429})
# The CRM refuses our credentials: every lookup will fail alike, whoever calls, until the setting is fixed.
CREDENTIAL_STATUSES = frozenset({401, 403, 407})
# A second attempt needs a new connection and the CRM's own processing time; with less than this left
# it would only turn a fast failure into a timeout.
RETRY_MIN_REMAINING_S = 0.1
READ_CHUNK_BYTES = 64 * 1024


class _Failure(Exception):
    """One attempt failed; outcome is "error" or "timeout", reason is safe to log (no URL, no PII)."""

    def __init__(
        self,
        outcome: str,
        reason: str,
        *,
        retryable: bool = False,
        breaker: bool = True,
        retry_after: float | None = None,
        token_refused: str = "",
    ):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.retryable = retryable
        # A 429's Retry-After in seconds: worth one wait if it fits in the budget.
        self.retry_after = retry_after
        # The OAuth token the CRM answered 401 to: worth one new token.
        self.token_refused = token_refused
        # False for faults a caller cannot cause more of by calling more (a refused credential): they
        # answer degraded but must not open the breaker for everyone.
        self.breaker = breaker


@dataclasses.dataclass(frozen=True)
class _Answer:
    """What the CRM said for one lookup (after the retry, if any)."""

    outcome: str  # hit, miss, error or timeout
    record: dict | None = None
    reason: str = ""
    problems: tuple[str, ...] = ()
    breaker: bool = True  # a failure that counts towards the circuit breaker
    rejected_status: int = 0  # the 4xx that made this a miss, for the log


def parse_auth_header(text: str) -> tuple[str, str] | None:
    """("Authorization", "Bearer xyz") from "Authorization: Bearer xyz"; None for an empty setting.

    :raise ValueError: without repeating the value (it is a secret).
    """
    if not text.strip():
        return None
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not HEADER_NAME.match(name) or not value:
        raise ValueError('must look like "Header-Name: value", e.g. "Authorization: Bearer <token>"')
    if any(c in value for c in "\r\n\0"):
        raise ValueError("must be one line")
    return name, value


def config_problems(settings: Settings) -> list[str]:
    """One line per invalid setting of the HTTP backend or its vendor preset, naming its COMPANION_* variable."""
    problems = endpoint_problems(settings)
    try:
        parse_auth_header(settings.crm_auth_header)
    except ValueError as exc:
        problems.append(f"COMPANION_CRM_AUTH_HEADER: {exc}")
    if settings.crm_backend == "http":
        paths, record_path = {**settings.fields.paths, **settings.crm_field_map}, settings.crm_record_path
    elif problems:
        return problems  # a preset's paths need its settings
    else:
        endpoint = build_endpoint(settings)
        paths, record_path = endpoint.field_paths, endpoint.record_path
    names = field_names(settings)
    try:
        FieldMap(names, paths)
    except PathError as exc:
        problems.append(f"COMPANION_CRM_FIELD_MAP: {exc}")
    try:
        FieldMap(names, {}, record_path)
    except PathError as exc:
        problems.append(f"COMPANION_CRM_RECORD_PATH: {exc}")
    return problems


class HttpBackend:
    """CrmBackend for the customer's own CRM; one instance per process, shared by its request threads."""

    name = "http"

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic):
        problems = config_problems(settings)
        if problems:
            raise ConfigError("\n".join(problems))
        endpoint = build_endpoint(settings)
        self._request = endpoint.request
        self._credential_hint = endpoint.credential_hint
        self._headers = {"Accept": "application/json", "User-Agent": "architect-companion"}
        auth = parse_auth_header(settings.crm_auth_header)
        if auth:
            self._headers[auth[0]] = auth[1]
        names = field_names(settings)
        self._field_paths = dict(endpoint.field_paths)
        self._names = names
        # One FieldMap per place a record can sit: a preset's lookup by id answers with the record itself.
        self._field_maps = {endpoint.record_path: FieldMap(names, self._field_paths, endpoint.record_path)}
        self._default_record_path = endpoint.record_path
        self._record_fields = record_fields(settings.fields.fields)
        self._tiers = settings.tiers
        self._region = settings.default_region
        self._deadline_s = settings.crm_deadline_ms / 1000
        self._connect_s = settings.crm_connect_timeout_ms / 1000
        self._max_bytes = settings.crm_max_response_bytes
        self._clock = clock
        self._breaker = CircuitBreaker(
            settings.crm_breaker_failures,
            settings.crm_breaker_cooldown_s,
            clock=clock,
            on_transition=self._breaker_changed,
        )
        self._cache = TtlCache(
            settings.crm_cache_ttl_s, settings.crm_cache_miss_ttl_s, settings.crm_cache_max_entries, clock=clock
        )
        # Each request thread waits for at most one fetch; the extra half covers fetches abandoned at the
        # deadline that are still finishing (e.g. stuck in DNS, which no socket timeout bounds).
        workers = max(4, 2 * settings.threads)
        self._session = requests.Session()
        # No proxies or .netrc from the environment: settings are read once (a .netrc entry would even
        # replace our auth header), and the per-request environment scan costs time on every call.
        self._session.trust_env = False
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=workers, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # The OAuth token, when the CRM needs one: cached for the process, fetched inside a lookup's deadline.
        self.token = ClientCredentialsToken(endpoint.credentials, clock=clock) if endpoint.credentials else None
        # Fetches run on this pool so the caller can stop waiting at the deadline whatever the socket
        # is doing (DNS, a trickle of header bytes): the deadline is a promise to the call flow.
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crm-http")

    # -- CrmBackend ----------------------------------------------------------------------------------

    def lookup(self, keys: Mapping[str, str]) -> Lookup:
        """Find one customer in the remote CRM within the deadline; never raises for CRM faults."""
        started = self._clock()
        deadline = started + self._deadline_s
        usable = self._request.keys
        key = next((k for k in KEY_ORDER if keys.get(k) and k in usable), None)
        if key is None:
            return Lookup(
                None,
                "none",
                outcome="miss",
                reason=f"the CRM is looks customers up by {', '.join(k for k in KEY_ORDER if k in usable)}, "
                f"which the request did not give",
            )
        request = self._request.build(key, keys[key])
        if request is None:
            # e.g. ".." in a URL path, or an id that cannot be the CRM's: no customer has it, and sending it
            # could reach another resource with our credentials. Not found, without a call.
            log.info("lookup key cannot be sent to the CRM; answered as not found", extra={"lookupKey": key})
            return Lookup(None, "none", outcome="miss", reason=f"{key} {keys[key]!r} cannot be a key of this CRM")
        cache_key = request.cache_key
        entry = self._cache.get(cache_key)
        if entry is not None and entry.fresh:
            metrics.count_cache("hit")
            return Lookup(entry.record, "http", outcome="hit" if entry.record is not None else "miss")
        metrics.count_cache("miss")
        if not self._breaker.allow():
            reason = self._breaker.open_reason() or "CRM circuit breaker open; a probe is in flight"
            return self._fallback(entry, "breaker_open", reason)
        answer = self._wait_for(request, deadline)
        if answer.outcome in ("hit", "miss"):
            self._breaker.record_success()
            self._cache.put(cache_key, answer.record)
            if answer.rejected_status:
                log.info(
                    "CRM refused the lookup key; answered as not found",
                    extra={"lookupKey": key, "crmStatus": answer.rejected_status},
                )
            if answer.problems:
                log.warning(
                    "CRM record has values that do not fit our fields; defaults used",
                    extra={"lookupKey": key, "problems": list(answer.problems)},
                )
            return Lookup(answer.record, "http", outcome=answer.outcome)
        if answer.breaker:
            self._breaker.record_failure()
        log.warning(
            "CRM lookup failed", extra={"lookupKey": key, "outcome": answer.outcome, "reason": answer.reason}
        )
        return self._fallback(entry, answer.outcome, answer.reason)

    def readiness(self) -> str | None:
        """None unless the circuit breaker is open (then why, and when the next probe goes)."""
        return self._breaker.open_reason()

    def close(self) -> None:
        """Stop the fetch threads and close pooled connections."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._session.close()
        if self.token is not None:
            self.token.close()

    # -- internals -----------------------------------------------------------------------------------

    @property
    def breaker_state(self) -> str:
        """closed, half_open or open."""
        return self._breaker.state

    def _fallback(self, entry, outcome: str, reason: str) -> Lookup:
        if entry is not None and entry.record is not None:
            return Lookup(entry.record, "cache", degraded=True, outcome="stale", reason=reason)
        return Lookup(None, "none", degraded=True, outcome=outcome, reason=reason)

    def _breaker_changed(self, state: str) -> None:
        metrics.set_breaker_state(state)
        log.warning("CRM circuit breaker %s", state.replace("_", "-"), extra={"breakerState": state})

    def _field_map(self, record_path: str | None) -> FieldMap:
        path = self._default_record_path if record_path is None else record_path
        fields = self._field_maps.get(path)
        if fields is None:
            fields = self._field_maps[path] = FieldMap(self._names, self._field_paths, path)
        return fields

    def _wait_for(self, request: OutgoingRequest, deadline: float) -> _Answer:
        try:
            future = self._executor.submit(self._fetch, request, deadline)
        except RuntimeError:
            return _Answer("error", reason="CRM backend is closed")
        try:
            return future.result(timeout=max(0.0, deadline - self._clock()))
        except FutureTimeout:
            future.cancel()
            return _Answer("timeout", reason=f"CRM gave no answer within {self._deadline_s * 1000:.0f} ms")

    def _fetch(self, request: OutgoingRequest, deadline: float) -> _Answer:
        """Runs on the fetch pool: one attempt, then at most one more for each reason that may help in time:
        a connection error or 502/503/504, a 429 whose Retry-After fits the budget, a refused OAuth token."""
        retried = reauthenticated = waited = False
        try:
            while True:
                try:
                    return self._attempt(request, deadline)
                except _Failure as failure:
                    remaining = deadline - self._clock()
                    if failure.token_refused and self.token is not None and not reauthenticated:
                        reauthenticated = True
                        self.token.invalidate(failure.token_refused)
                        log.info("CRM refused the OAuth token; fetching a new one")
                        continue
                    if failure.retry_after is not None and not waited:
                        waited = True
                        fits = failure.retry_after + RETRY_MIN_REMAINING_S <= remaining
                        metrics.count_throttled("waited" if fits else "gave_up")
                        if fits:
                            time.sleep(failure.retry_after)
                            continue
                        raise _Failure(
                            failure.outcome,
                            f"{failure.reason}; Retry-After {failure.retry_after:g} s is past the deadline",
                        ) from None
                    if failure.retryable and not retried and remaining >= RETRY_MIN_REMAINING_S:
                        retried = True
                        continue
                    if retried or reauthenticated or waited:
                        raise _Failure(
                            failure.outcome, f"{failure.reason} (after one retry)", breaker=failure.breaker
                        ) from None
                    raise
        except _Failure as failure:
            return _Answer(failure.outcome, reason=failure.reason, breaker=failure.breaker)
        except Exception:  # a bug here must not escape lookup(); say where it happened
            log.exception("CRM lookup crashed")
            return _Answer("error", reason="CRM lookup crashed (see the log)")

    def _authorization(self, deadline: float) -> dict[str, str]:
        """The Authorization header of an OAuth CRM (the token fetch counts inside the deadline)."""
        if self.token is None:
            return {}
        try:
            return {"Authorization": f"Bearer {self.token.get(deadline - self._clock())}"}
        except TokenError as exc:
            # The token endpoint failing is the CRM being unreachable; a refusal is our credentials.
            raise _Failure("timeout" if exc.timeout else "error", exc.reason, breaker=not exc.refused) from None

    def _attempt(self, request: OutgoingRequest, deadline: float) -> _Answer:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Failure("timeout", f"CRM gave no answer within {self._deadline_s * 1000:.0f} ms")
        headers = {**self._headers, **request.headers}
        authorization = self._authorization(deadline)
        headers.update(authorization)
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Failure("timeout", f"CRM gave no answer within {self._deadline_s * 1000:.0f} ms")
        try:
            response = self._session.request(
                request.method,
                request.url,
                data=request.body,
                headers=headers,
                timeout=(min(self._connect_s, remaining), remaining),
                stream=True,
                # A redirect could carry our auth header to another host, and costs a round trip.
                allow_redirects=False,
            )
        except requests.ConnectTimeout:
            raise _Failure(
                "timeout", f"CRM did not accept a connection within {self._connect_s * 1000:.0f} ms", retryable=True
            ) from None
        except requests.ReadTimeout:
            raise _Failure("timeout", f"CRM did not answer within {self._deadline_s * 1000:.0f} ms") from None
        except requests.ConnectionError as exc:
            raise _Failure("error", _connection_reason(exc), retryable=True) from None
        except requests.RequestException as exc:
            raise _Failure("error", f"CRM request failed ({type(exc).__name__})") from None
        status = response.status_code
        try:
            try:
                body = self._read_body(response, deadline)
            except _Failure:
                if 200 <= status < 300:
                    raise
                body = b""  # the status says it all; only the connection is lost
            else:
                # A complete body: the connection goes back to the pool for the next lookup.
                response.raw.release_conn()
        finally:
            # Closes the connection unless release_conn() already returned it to the pool.
            response.close()
        if status == 401 and authorization:
            # RFC 6750 §3.1: 401 for an expired or revoked token. One new token, once per lookup.
            raise _Failure(
                "error",
                f"CRM refused our credentials (HTTP 401); check {self._credential_hint}",
                breaker=False,
                token_refused=authorization["Authorization"].removeprefix("Bearer "),
            )
        if status == 429:
            raise _Failure("error", "CRM answered HTTP 429", retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        rejected = _rejected_lookup(status, self._credential_hint)
        if rejected is not None:
            return rejected
        if status == 204 or not body.strip():
            return _Answer("miss")
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise _Failure("error", "CRM answer is not JSON") from None
        fields = self._field_map(request.record_path)
        try:
            raw = fields.select_record(document)
        except WrongShape as exc:
            raise _Failure("error", f"CRM answer has the wrong shape: {exc}") from None
        if raw is None:
            return _Answer("miss")
        record, problems = coerce_record(
            fields.extract(raw), tiers=self._tiers, default_region=self._region, fields=self._record_fields
        )
        return _Answer("hit", record, problems=tuple(problems))

    def _read_body(self, response: requests.Response, deadline: float) -> bytes:
        """The body, read in pieces with the clock checked between them, so a CRM trickling bytes cannot
        hold the lookup past its deadline; and at most crm_max_response_bytes of it, counted after
        decompression, so a gzip bomb is refused like any answer over the limit."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise _Failure("error", f"CRM answer of {declared} bytes is over the {self._max_bytes}-byte limit")
        sock = getattr(getattr(response.raw, "connection", None), "sock", None)
        chunks, size = [], 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise _Failure("timeout", f"CRM answer did not arrive in full within {self._deadline_s * 1000:.0f} ms")
            if sock is not None:
                # Each read waits at most for what is left of the budget, not for a full read timeout.
                sock.settimeout(remaining)
            try:
                chunk = _read_decoded(response, READ_CHUNK_BYTES)
            except urllib3.exceptions.DecodeError:
                encoding = response.headers.get("Content-Encoding", "")
                raise _Failure("error", f"CRM answer is not valid {encoding or 'encoded'} data") from None
            except (socket.timeout, urllib3.exceptions.ReadTimeoutError):
                raise _Failure("timeout", f"CRM answer did not arrive in full within {self._deadline_s * 1000:.0f} ms") from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _Failure("error", f"CRM answer broke off ({type(exc).__name__})") from None
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self._max_bytes:
                raise _Failure("error", f"CRM answer is over the {self._max_bytes}-byte limit")
            chunks.append(chunk)


def _read_decoded(response: requests.Response, amount: int) -> bytes:
    """Up to `amount` bytes of the body with its Content-Encoding undone.

    requests asks for `Accept-Encoding: gzip, deflate`, and most CRMs and API gateways then compress; the
    raw stream would hand us compressed bytes. urllib3 decodes gzip and deflate (zlib or raw) as it reads,
    returning at most `amount` decoded bytes per call however much a small compressed chunk inflates to
    (urllib3 2.6's fix for unbounded decompression, CVE-2025-66471), so the size limit holds.
    """
    return response.raw.read1(amount, decode_content=True)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (RFC 9110 §10.2.3: seconds, or an HTTP date); None if absent
    or unreadable. https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3"""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def _rejected_lookup(status: int, credential_hint: str = "COMPANION_CRM_AUTH_HEADER") -> _Answer | None:
    """What a non-2xx status means for one lookup, or None for a 2xx (the body then decides).

    Only what says the CRM itself is failing or overloaded counts towards the circuit breaker: 5xx, 408 and
    429 (and, elsewhere, transport errors and timeouts). Any other 4xx is the CRM's answer about this key:
    a CRM that validates ids answers 400, 404 or 422 for "bad-1", and callers choose the keys, so counting
    those would let anyone open every worker's breaker with a few malformed ids. Such an answer is a miss.
    401, 403 and 407 are about our credentials, not the key: degraded (the record is unknown), logged,
    and not counted either, since more calls would not make the CRM any less able to answer.

    :raise _Failure: for statuses that count towards the breaker, and for credential refusals.
    """
    if 200 <= status < 300:
        return None
    if status in RETRY_STATUSES:
        raise _Failure("error", f"CRM answered HTTP {status}", retryable=True)
    if status >= 500 or status in OVERLOAD_STATUSES:
        raise _Failure("error", f"CRM answered HTTP {status}")
    if status in CREDENTIAL_STATUSES:
        raise _Failure(
            "error", f"CRM refused our credentials (HTTP {status}); check {credential_hint}", breaker=False
        )
    if 300 <= status < 400:
        raise _Failure(
            "error", f"CRM answered HTTP {status} (redirects are not followed; check COMPANION_CRM_URL_TEMPLATE)"
        )
    return _Answer("miss", rejected_status=0 if status == 404 else status)


def _connection_reason(exc: BaseException) -> str:
    """Why a connection failed, from the exception chain, without the URL (it holds the lookup key)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "CRM refused the connection"
        if isinstance(current, socket.gaierror):
            return "CRM host name does not resolve"
        if isinstance(current, ConnectionResetError):
            return "CRM reset the connection"
        if isinstance(current, urllib3.exceptions.ProtocolError) and "Remote end closed" in str(current):
            return "CRM closed the connection without answering"
        for linked in (getattr(current, "reason", None), current.__cause__, current.__context__, *current.args):
            if isinstance(linked, BaseException):
                stack.append(linked)
    return "could not connect to the CRM"
