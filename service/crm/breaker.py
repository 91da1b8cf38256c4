"""A thread-safe circuit breaker: stop calling a failing CRM, probe it again after a cool-down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CLOSED, HALF_OPEN, OPEN = "closed", "half_open", "open"


class CircuitBreaker:
    """closed -> open after `failures` consecutive failures; after `cooldown_s` one probe may pass
    (half-open); the probe's success closes the breaker, its failure opens it for another cool-down.

    on_transition(state) is called (outside the lock) whenever the state changes, e.g. to export it.
    """

    def __init__(
        self,
        failures: int,
        cooldown_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_transition: Callable[[str], None] | None = None,
    ):
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self.failures = failures
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._on_transition = on_transition
        self._lock = threading.Lock()
        self._state = CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> str:
        """closed, half_open or open (open even when the cool-down is over but no probe has started)."""
        with self._lock:
            return self._state

    def allow(self) -> bool:
        """May a call go to the CRM now? In half-open, True for exactly one caller (the probe)."""
        changed = None
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if self._clock() - self._opened_at < self.cooldown_s:
                    return False
                self._state = changed = HALF_OPEN
                self._probe_in_flight = False
            if self._probe_in_flight:
                allowed = False
            else:
                self._probe_in_flight = allowed = True
        self._notify(changed)
        return allowed

    def record_success(self) -> None:
        """The CRM answered (found or not): reset the count; a successful probe closes the breaker."""
        changed = None
        with self._lock:
            self._consecutive = 0
            self._probe_in_flight = False
            if self._state != CLOSED:
                self._state = changed = CLOSED
        self._notify(changed)

    def record_failure(self) -> None:
        """The CRM failed: count it; the N-th consecutive failure, or a failed probe, opens the breaker."""
        changed = None
        with self._lock:
            self._consecutive += 1
            self._probe_in_flight = False
            if self._state == HALF_OPEN or (self._state == CLOSED and self._consecutive >= self.failures):
                self._state = changed = OPEN
                self._opened_at = self._clock()
            elif self._state == OPEN:
                # A call let through before the breaker opened failed late: restart the cool-down from now.
                self._opened_at = self._clock()
        self._notify(changed)

    def open_reason(self) -> str | None:
        """Why calls are refused right now, or None (closed, half-open, or cool-down over: a probe may pass)."""
        with self._lock:
            if self._state != OPEN:
                return None
            left = self.cooldown_s - (self._clock() - self._opened_at)
            if left <= 0:
                return None
            return (
                f"CRM circuit breaker open after {self._consecutive} consecutive failures; "
                f"next probe in {left:.1f} s"
            )

    def _notify(self, state: str | None) -> None:
        if state is not None and self._on_transition is not None:
            self._on_transition(state)
