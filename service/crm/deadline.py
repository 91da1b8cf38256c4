"""A deadline for blocking socket I/O done in the caller's thread: past it, the socket is shut down.

A query to a database that stopped answering (a stopped server, a network black hole whose kernel still
acknowledges) blocks in recv() with no timeout of its own. Handing every query to a thread pool and
waiting on it with a timeout bounds that, but costs a thread switch per lookup, which a busy host makes
expensive (measured while choosing, with an earlier version that used a pool: 0.8 ms a lookup in the
caller's thread, 2.7 ms through the pool, load average 15; `python -m bench postgres_lookup` measures the
backend as it is).
Instead the caller registers its socket with its deadline; one daemon thread wakes at the oldest deadline
and shuts down the sockets still busy past theirs, so the blocked call fails at once (shutdown(2) wakes a
recv() blocked on the socket in another thread) and the caller answers degraded. Deadlines of one watchdog
all have the same length, so they arrive in order and a FIFO queue is all the bookkeeping needed.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import socket
import threading
import time
from collections.abc import Callable


@dataclasses.dataclass(eq=False)
class Watch:
    """One registered call: done once the caller is finished with the socket; killed when shut down."""

    fileno: int
    deadline: float
    done: bool = False
    killed: bool = False


class SocketDeadlines:
    """Shuts down the sockets of calls still running past their deadline; one per process."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, name: str = "socket-deadlines"):
        self._clock = clock
        self._lock = threading.Condition()
        self._queue: collections.deque[Watch] = collections.deque()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def watch(self, fileno: int, deadline: float) -> Watch:
        """Start watching a call on socket `fileno` that must be over by `deadline` (clock time)."""
        entry = Watch(fileno, deadline)
        with self._lock:
            was_empty = not self._queue
            self._queue.append(entry)
            if was_empty:
                self._lock.notify()
        return entry

    def finish(self, entry: Watch) -> bool:
        """The call is over; True when its socket was shut down because the deadline passed first."""
        with self._lock:
            entry.done = True
            return entry.killed

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._lock.notify()

    def _run(self) -> None:
        with self._lock:
            while not self._stopped:
                while self._queue and self._queue[0].done:
                    self._queue.popleft()
                if not self._queue:
                    self._lock.wait()
                    continue
                oldest = self._queue[0]
                left = oldest.deadline - self._clock()
                if left > 0:
                    self._lock.wait(left)
                    continue
                self._queue.popleft()
                # Under the lock: finish() cannot return the connection meanwhile, so a socket is never
                # shut down after its caller let go of it.
                oldest.killed = True
                _shut_down(oldest.fileno)


def _shut_down(fileno: int) -> None:
    # A duplicate descriptor of the same socket: shutdown() acts on the socket, and closing the duplicate
    # leaves the owner's descriptor (libpq's) for it to close.
    with contextlib.suppress(OSError):
        duplicate = socket.socket(fileno=os.dup(fileno))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()
