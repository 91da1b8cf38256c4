"""A bounded, thread-safe TTL cache of CRM answers (records and misses) that keeps records past their TTL
so they can still be served, marked stale, while the CRM is failing."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """One cached answer: a record, or None for "the CRM has no such customer"."""

    record: Mapping[str, object] | None
    stored_at: float
    fresh: bool


class TtlCache:
    """LRU-bounded map key -> answer. Records are fresh for ttl_s, misses for miss_ttl_s; an expired miss
    is dropped (it says nothing useful once old), an expired record stays until evicted (stale fallback)."""

    def __init__(
        self,
        ttl_s: float,
        miss_ttl_s: float,
        max_entries: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.ttl_s = ttl_s
        self.miss_ttl_s = miss_ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Mapping[str, object] | None, float]] = OrderedDict()

    def get(self, key: Hashable) -> CacheEntry | None:
        """The cached answer for key (fresh or, for records, stale), or None."""
        now = self._clock()
        with self._lock:
            item = self._entries.get(key)
            if item is None:
                return None
            record, stored_at = item
            age = now - stored_at
            if record is None:
                if age >= self.miss_ttl_s:
                    del self._entries[key]
                    return None
                fresh = True
            else:
                fresh = age < self.ttl_s
            self._entries.move_to_end(key)
            return CacheEntry(record, stored_at, fresh)

    def put(self, key: Hashable, record: Mapping[str, object] | None) -> None:
        """Remember the CRM's latest answer for key; evicts the least recently used entries beyond the bound."""
        if record is None and self.miss_ttl_s <= 0:
            # Negative caching off: a miss must not hide a record cached earlier either (the customer is gone).
            with self._lock:
                self._entries.pop(key, None)
            return
        now = self._clock()
        with self._lock:
            self._entries[key] = (record, now)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
