"""The one small interface every CRM backend implements; the API code never knows which one is configured."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol

# Lookup keys in the order a backend tries them when several are given (most specific first).
KEY_ORDER = ("customerId", "accountNumber", "phone", "email")

# What `Lookup.outcome` may be; the same words label companion_crm_lookup_duration_seconds{outcome}.
OUTCOMES = ("hit", "miss", "error", "timeout", "breaker_open", "stale")


@dataclasses.dataclass(frozen=True)
class Lookup:
    """The answer of a backend for one lookup. Backends never raise for CRM faults: they answer degraded.

    record:   our customer fields (schemas.record: the built-in fields and the fields file's),
              or None for "no such customer" / "no answer possible".
    source:   "sqlite", "postgres", "http", "cache" (a cached record served because the CRM failed) or "none".
    degraded: True when the CRM could not answer in time or failed, whatever `record` holds.
    outcome:  one of OUTCOMES, for metrics and the access log.
    reason:   short human-readable cause when degraded (e.g. "CRM timed out after 1500 ms"), else "".
    """

    record: Mapping[str, object] | None
    source: str
    degraded: bool = False
    outcome: str = "hit"
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.record is not None


class CrmBackend(Protocol):
    """A customer store. Keys given to `lookup` are already validated and normalised:
    phone in E.164, email lower-cased and stripped, others stripped; only non-empty keys are present."""

    name: str

    def lookup(self, keys: Mapping[str, str]) -> Lookup:
        """Find one customer by the given keys, within the backend's deadline."""
        ...

    def readiness(self) -> str | None:
        """None when usable; otherwise why not (shown by /readyz with a 503)."""
        ...

    def close(self) -> None:
        """Release connections and pools."""
        ...
