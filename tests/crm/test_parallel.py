"""map_in_order: worker processes, answers in input order, errors raised, workers gone whenever it stops."""

import os
import time

import pytest

from service.crm.parallel import WorkerDied
from service.crm.parallel import map_in_order


def _square_all(chunk):
    if chunk == ["boom"]:
        raise ValueError("bad chunk")
    if chunk == ["die"]:
        os._exit(3)
    # Uneven work, so answers come back out of order unless the function puts them in order.
    time.sleep(0.02 if chunk[0] % 2 else 0)
    return [(n * n, os.getpid()) for n in chunk]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purposes
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


def test_answers_come_in_input_order_from_several_processes():
    chunks = [[n, n + 100] for n in range(40)]
    answers = list(map_in_order(_square_all, chunks, workers=3))
    assert [[square for square, _ in answer] for answer in answers] == [[n * n, (n + 100) ** 2] for n in range(40)]
    workers = {pid for answer in answers for _, pid in answer}
    assert len(workers) == 3 and os.getpid() not in workers


def test_an_error_in_a_worker_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="bad chunk"):
        list(map_in_order(_square_all, [[1], ["boom"], [2]], workers=2))


def test_a_worker_that_dies_is_reported_not_waited_for():
    with pytest.raises(WorkerDied, match="ended without answering"):
        list(map_in_order(_square_all, [[1], ["die"], [2]], workers=2))


def test_stopping_early_kills_the_workers_at_once():
    answers = map_in_order(_square_all, ([n] for n in range(10_000)), workers=2)
    pids = {pid for _, pid in next(answers) + next(answers) + next(answers)}
    started = time.monotonic()
    answers.close()  # what an exception or Ctrl-C in the caller does to the generator
    assert time.monotonic() - started < 5
    assert all(_gone(pid) for pid in pids)

