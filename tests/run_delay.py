"""How long the host kept a thread waiting to run: the part of a wall-clock time that is not the code's own.

Linux counts, per thread, the time it spent runnable but waiting on a run queue for a CPU: the second
field of /proc/<pid>/task/<tid>/schedstat, in nanoseconds ("time spent waiting on a runqueue",
https://docs.kernel.org/scheduler/sched-stats.html). On a shared 2-core CI host, other jobs make our
threads wait this way; time a thread spent sleeping (on a socket, a timeout, a lock) is not counted, so a
service that waits too long still shows it in full. The timing tests subtract this from their wall clocks.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

SCHEDSTAT = Path("/proc/thread-self/schedstat")
# The product app for GunicornServer(app=...) whose access lines carry the serving thread's wait as runDelayMs.
RUN_DELAY_APP = "tests.reliability.wsgi_with_run_delay:app"


def thread_run_delay() -> float:
    """Seconds the calling thread has waited on a run queue since it started."""
    return int(SCHEDSTAT.read_text().split()[1]) / 1e9


def process_run_delay(pid: int) -> float:
    """Seconds the main thread of process `pid` has waited on a run queue since it started (a gevent worker
    runs every request on that thread)."""
    return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9


class Timing:
    """A wall-clock span of the calling thread and the run-queue wait inside it (filled in on exit)."""

    wall_s: float = 0.0
    run_delay_s: float = 0.0

    @property
    def own_s(self) -> float:
        """The wall-clock time less the time the host kept this thread from running."""
        return self.wall_s - self.run_delay_s


@contextmanager
def timing():
    """`with timing() as t: ...` then t.wall_s, t.run_delay_s and t.own_s, for the calling thread."""
    span = Timing()
    delay = thread_run_delay()
    started = time.monotonic()
    try:
        yield span
    finally:
        span.wall_s = time.monotonic() - started
        span.run_delay_s = thread_run_delay() - delay
