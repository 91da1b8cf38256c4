"""Run a function over chunks in worker processes, results in input order, one chunk per worker at a time.

Each worker has its own pipe and no helper threads sit between it and the importer. multiprocessing.Pool
was used before. When Ctrl-C arrived while its task-feeder thread was writing a large chunk, Pool.terminate()
could drain the queue, take its lock and then wait forever for that thread, which by then was blocked on a
full pipe nobody read. The import hung instead of rolling back (3 runs in 12 on a busy host). Here a worker
is only sent a chunk once it has returned the last one, so neither side can block the other. Stopping, for
any reason, kills the workers.
"""

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

_END = object()


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed by the system, out of memory...)."""


def _watch_parent(parent: int) -> None:
    # A worker whose importer was killed (kill -9) must not linger: it would wait for work forever.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _serve(connection, function: Callable, parent: int) -> None:
    # Ctrl-C reaches the whole process group; only the importer decides what it means (roll back).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    while True:
        try:
            chunk = connection.recv()
        except EOFError:  # the importer closed its end: done
            return
        try:
            answer = (True, function(chunk))
        except Exception as exc:  # handed to the importer, which raises it
            answer = (False, exc)
        connection.send(answer)


def map_in_order(function: Callable, chunks: Iterable, workers: int) -> Iterator:
    """function(chunk) for every chunk, computed in `workers` processes, yielded in the chunks' order."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    connections, processes = [], []
    try:
        for _ in range(max(1, workers)):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, function, os.getpid()), daemon=True)
            process.start()
            theirs.close()
            connections.append(ours)
            processes.append(process)
        chunks = iter(chunks)
        idle = collections.deque(range(len(connections)))
        working: collections.deque = collections.deque()  # worker indexes in the order their chunks came

        def hand_out() -> None:
            while idle:
                chunk = next(chunks, _END)
                if chunk is _END:
                    return
                worker = idle.popleft()
                connections[worker].send(chunk)
                working.append(worker)

        hand_out()
        while working:
            worker = working.popleft()
            try:
                ok, answer = connections[worker].recv()
            except EOFError:
                raise WorkerDied(f"validation worker {processes[worker].pid} ended without answering") from None
            if not ok:
                raise answer
            idle.append(worker)
            hand_out()  # the worker gets its next chunk before the caller spends time on this answer
            yield answer
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join()
        for connection in connections:
            connection.close()
