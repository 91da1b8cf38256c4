"""service.crm.deadline on real sockets: a recv() blocked past its deadline is woken, a finished call is left alone."""

from __future__ import annotations

import socket
import time

from service.crm.deadline import SocketDeadlines


def test_a_recv_blocked_past_its_deadline_returns_at_the_deadline():
    deadlines = SocketDeadlines()
    ours, peer = socket.socketpair()
    try:
        started = time.monotonic()
        watch = deadlines.watch(ours.fileno(), started + 0.2)
        data = ours.recv(10)  # the peer never writes: only the shutdown can end this
        waited = time.monotonic() - started
        assert deadlines.finish(watch) is True and data == b""
        assert 0.19 <= waited < 1.0
    finally:
        ours.close()
        peer.close()
        deadlines.stop()


def test_a_call_finished_in_time_keeps_its_socket():
    deadlines = SocketDeadlines()
    ours, peer = socket.socketpair()
    try:
        for _ in range(3):
            watch = deadlines.watch(ours.fileno(), time.monotonic() + 0.05)
            peer.sendall(b"ok")
            assert ours.recv(10) == b"ok"
            assert deadlines.finish(watch) is False
        time.sleep(0.1)  # past every deadline: nothing may be shut down now
        peer.sendall(b"still")
        assert ours.recv(10) == b"still"
    finally:
        ours.close()
        peer.close()
        deadlines.stop()


def test_later_calls_wait_for_their_own_deadline_behind_a_finished_one():
    deadlines = SocketDeadlines()
    first, first_peer = socket.socketpair()
    second, second_peer = socket.socketpair()
    try:
        now = time.monotonic()
        done = deadlines.watch(first.fileno(), now + 0.05)
        deadlines.finish(done)
        started = time.monotonic()
        pending = deadlines.watch(second.fileno(), now + 0.15)
        assert second.recv(10) == b""
        assert deadlines.finish(pending) is True and time.monotonic() - started >= 0.1
        first_peer.sendall(b"alive")
        assert first.recv(10) == b"alive"
    finally:
        for sock in (first, first_peer, second, second_peer):
            sock.close()
        deadlines.stop()
