"""Run a function over chunks in worker processes, results in input order, few chunks in flight at once."""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator

# Chunks queued per worker: enough to keep every core busy, few enough that a 1 GB file is not read ahead.
IN_FLIGHT_PER_WORKER = 3


def _watch_parent(parent: int) -> None:
    # A worker whose importer was killed (kill -9) must not linger: it would wait for work forever.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _init_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group; only the importer decides what it means (roll back).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def map_in_order(function: Callable, chunks: Iterable, workers: int) -> Iterator:
    """function(chunk) for every chunk, computed in `workers` processes, yielded in the chunks' order."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = context.Pool(workers, initializer=_init_worker, initargs=(os.getpid(),))
    try:
        pending: collections.deque = collections.deque()
        for chunk in chunks:
            pending.append(pool.apply_async(function, (chunk,)))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
