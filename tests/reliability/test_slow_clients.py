"""Slow clients through `companion serve` as shipped: hundreds of trickling sockets cost a legitimate caller nothing.

Before the gevent worker, 100 such sockets (tests/reliability/slow_clients.py) took every gthread thread and
every legitimate request timed out. The latency figures are bench/slow_clients.py's; this test guards the
behaviour: with 500 slow sockets held open, every request is answered, promptly.
"""

import sys

import pytest

from tests.conftest import API_KEY
from tests.conftest import demo_server_env
from tests.reliability.slow_clients import SlowClients
from tests.reliability.slow_clients import probe
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e

HEADERS = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
SLOW_SOCKETS = 500


def test_500_slow_sockets_leave_legitimate_requests_answered(demo_db):
    serve = [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", "0"]
    with GunicornServer(demo_server_env(demo_db), command=serve) as server:
        with SlowClients(server.url, SLOW_SOCKETS, tick_s=0.5) as slow:
            assert slow.open_count + slow.failed_connects == SLOW_SOCKETS
            # A few ticks, so every shape has sent bytes the server is waiting to complete.
            figures = probe(server.url, HEADERS, 20, label="warm", timeout_s=3, pause_s=0.05)
            figures = probe(server.url, HEADERS, 60, label="with slow sockets", timeout_s=3)
            still_open = slow.open_count
    assert figures.errors == []
    assert len(figures.latencies_ms) == 60
    assert figures.p50_ms < 100, figures.line()
    assert still_open >= SLOW_SOCKETS * 0.9
