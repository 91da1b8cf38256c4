"""The customer's own CRM over HTTP, answered inside a deadline whatever the CRM does (docs/crm.md, "HTTP backend").

One lookup: pick the key the URL template uses -> fresh cache entry? -> breaker allows? -> GET with one
retry on connection errors and 502/503/504 while the budget lasts -> map the JSON to our fields. Any
failure answers degraded: the last good record from the cache (source "cache", outcome "stale") or nothing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import socket
import string
import time
from collections.abc import Callable
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import quote
from urllib.parse import urlsplit

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
# RFC 9110 §5.6.2 token: the characters allowed in a header name.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class _Failure(Exception):
    """One attempt failed; outcome is "error" or "timeout", reason is safe to log (no URL, no PII)."""

    def __init__(self, outcome: str, reason: str, *, retryable: bool = False, breaker: bool = True):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.retryable = retryable
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


def template_placeholders(template: str) -> set[str]:
    """The lookup keys a URL template uses, e.g. {"phone"} for https://crm/contacts?phone={phone}.

    :raise ValueError: unknown placeholders, format specs or unbalanced braces.
    """
    names = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"is not a valid template ({exc}; write a literal brace as {{{{ or }}}})") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in KEY_ORDER or spec or conversion:
            raise ValueError(f"has the placeholder {{{name}}}; allowed: {', '.join('{' + k + '}' for k in KEY_ORDER)}")
        names.add(name)
    if not names:
        raise ValueError(f"uses no lookup key; put one of {', '.join('{' + k + '}' for k in KEY_ORDER)} in it")
    return names


# RFC 3986 §3.3 / §5.2.4: a path segment "." or ".." is removed or climbs a level when the URL is resolved.
DOT_SEGMENTS = frozenset({".", ".."})


def path_placeholders(template: str) -> set[str]:
    """The placeholders in the template's path (before any "?"), where a dot segment would move the URL."""
    path_part = template.split("?", 1)[0].split("#", 1)[0]
    return {name for _, name, _, _ in string.Formatter().parse(path_part) if name}


def parse_auth_header(text: str) -> tuple[str, str] | None:
    """("Authorization", "Bearer xyz") from "Authorization: Bearer xyz"; None for an empty setting.

    :raise ValueError: without repeating the value (it is a secret).
    """
    if not text.strip():
        return None
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _HEADER_NAME.match(name) or not value:
        raise ValueError('must look like "Header-Name: value", e.g. "Authorization: Bearer <token>"')
    if any(c in value for c in "\r\n\0"):
        raise ValueError("must be one line")
    return name, value


def field_names(settings: Settings) -> tuple[str, ...]:
    """Our record's field names: the built-in ones and COMPANION_FIELDS_FILE's."""
    return tuple(field.name for field in record_fields(settings.fields.fields))


def field_paths(settings: Settings) -> dict[str, str]:
    """ourField -> path in the CRM's answer: the fields file's `path:` entries, COMPANION_CRM_FIELD_MAP over them."""
    return {**settings.fields.paths, **settings.crm_field_map}


def config_problems(settings: Settings) -> list[str]:
    """One line per invalid HTTP-backend setting, naming its COMPANION_* variable."""
    problems = []
    template = settings.crm_url_template
    if urlsplit(template).scheme not in ("http", "https") or not urlsplit(template).netloc:
        problems.append("COMPANION_CRM_URL_TEMPLATE: must be an http:// or https:// URL with a host")
    try:
        template_placeholders(template)
    except ValueError as exc:
        problems.append(f"COMPANION_CRM_URL_TEMPLATE: {exc}")
    try:
        parse_auth_header(settings.crm_auth_header)
    except ValueError as exc:
        problems.append(f"COMPANION_CRM_AUTH_HEADER: {exc}")
    names = field_names(settings)
    try:
        FieldMap(names, field_paths(settings))
    except PathError as exc:
        problems.append(f"COMPANION_CRM_FIELD_MAP: {exc}")
    try:
        FieldMap(names, {}, settings.crm_record_path)
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
        self._template = settings.crm_url_template
        self._placeholders = template_placeholders(self._template)
        self._in_path = path_placeholders(self._template)
        self._headers = {"Accept": "application/json", "User-Agent": "architect-companion"}
        auth = parse_auth_header(settings.crm_auth_header)
        if auth:
            self._headers[auth[0]] = auth[1]
        self._fields = FieldMap(field_names(settings), field_paths(settings), settings.crm_record_path)
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
        # Fetches run on this pool so the caller can stop waiting at the deadline whatever the socket
        # is doing (DNS, a trickle of header bytes): the deadline is a promise to the call flow.
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crm-http")

    # -- CrmBackend ----------------------------------------------------------------------------------

    def lookup(self, keys: Mapping[str, str]) -> Lookup:
        """Find one customer in the remote CRM within the deadline; never raises for CRM faults."""
        started = self._clock()
        deadline = started + self._deadline_s
        key = next((k for k in KEY_ORDER if keys.get(k) and k in self._placeholders), None)
        if key is None:
            return Lookup(
                None,
                "none",
                outcome="miss",
                reason=f"the CRM URL template looks customers up by {', '.join(sorted(self._placeholders))}, "
                f"which the request did not give",
            )
        if key in self._in_path and keys[key] in DOT_SEGMENTS:
            # "/customers/{customerId}" with ".." would be /customers/.. , i.e. /: another resource, our
            # credentials included. No customer has such an id; answer "not found" without a call.
            log.info("lookup key is a dot segment; not sent to the CRM", extra={"lookupKey": key})
            return Lookup(None, "none", outcome="miss", reason=f"{key} {keys[key]!r} is not a usable path segment")
        url = self._render(key, keys[key])
        entry = self._cache.get(url)
        if entry is not None and entry.fresh:
            metrics.count_cache("hit")
            return Lookup(entry.record, "http", outcome="hit" if entry.record is not None else "miss")
        metrics.count_cache("miss")
        if not self._breaker.allow():
            reason = self._breaker.open_reason() or "CRM circuit breaker open; a probe is in flight"
            return self._fallback(entry, "breaker_open", reason)
        answer = self._wait_for(url, deadline)
        if answer.outcome in ("hit", "miss"):
            self._breaker.record_success()
            self._cache.put(url, answer.record)
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

    # -- internals -----------------------------------------------------------------------------------

    @property
    def breaker_state(self) -> str:
        """closed, half_open or open."""
        return self._breaker.state

    def _render(self, key: str, value: str) -> str:
        values = {name: "" for name in self._placeholders}
        # safe="": "+" in E.164 and "@" in e-mail addresses must reach the CRM encoded, in a path or a query.
        values[key] = quote(value, safe="")
        return self._template.format_map(values)

    def _fallback(self, entry, outcome: str, reason: str) -> Lookup:
        if entry is not None and entry.record is not None:
            return Lookup(entry.record, "cache", degraded=True, outcome="stale", reason=reason)
        return Lookup(None, "none", degraded=True, outcome=outcome, reason=reason)

    def _breaker_changed(self, state: str) -> None:
        metrics.set_breaker_state(state)
        log.warning("CRM circuit breaker %s", state.replace("_", "-"), extra={"breakerState": state})

    def _wait_for(self, url: str, deadline: float) -> _Answer:
        try:
            future = self._executor.submit(self._fetch, url, deadline)
        except RuntimeError:
            return _Answer("error", reason="CRM backend is closed")
        try:
            return future.result(timeout=max(0.0, deadline - self._clock()))
        except FutureTimeout:
            future.cancel()
            return _Answer("timeout", reason=f"CRM gave no answer within {self._deadline_s * 1000:.0f} ms")

    def _fetch(self, url: str, deadline: float) -> _Answer:
        """Runs on the fetch pool: one attempt, a second one if it may help and time allows."""
        try:
            try:
                return self._attempt(url, deadline)
            except _Failure as first:
                if not first.retryable or deadline - self._clock() < RETRY_MIN_REMAINING_S:
                    raise
            try:
                return self._attempt(url, deadline)
            except _Failure as second:
                raise _Failure(second.outcome, f"{second.reason} (after one retry)") from None
        except _Failure as failure:
            return _Answer(failure.outcome, reason=failure.reason, breaker=failure.breaker)
        except Exception:  # a bug here must not escape lookup(); say where it happened
            log.exception("CRM lookup crashed")
            return _Answer("error", reason="CRM lookup crashed (see the log)")

    def _attempt(self, url: str, deadline: float) -> _Answer:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Failure("timeout", f"CRM gave no answer within {self._deadline_s * 1000:.0f} ms")
        try:
            response = self._session.get(
                url,
                headers=self._headers,
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
        rejected = _rejected_lookup(status)
        if rejected is not None:
            return rejected
        if status == 204 or not body.strip():
            return _Answer("miss")
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise _Failure("error", "CRM answer is not JSON") from None
        try:
            raw = self._fields.select_record(document)
        except WrongShape as exc:
            raise _Failure("error", f"CRM answer has the wrong shape: {exc}") from None
        if raw is None:
            return _Answer("miss")
        record, problems = coerce_record(
            self._fields.extract(raw), tiers=self._tiers, default_region=self._region, fields=self._record_fields
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


def _rejected_lookup(status: int) -> _Answer | None:
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
            "error", f"CRM refused our credentials (HTTP {status}); check COMPANION_CRM_AUTH_HEADER", breaker=False
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
