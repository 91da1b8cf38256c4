"""SIGTERM under keep-alive load: a request that arrives on an open connection during the drain is answered."""

import http.client
import signal
import threading
import time
from urllib.parse import urlsplit

import pytest

from tests.conftest import API_KEY
from tests.conftest import demo_server_env
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
CLIENTS = 8


def test_requests_sent_just_after_sigterm_on_kept_alive_connections_get_answers(demo_db):
    server = GunicornServer({**demo_server_env(demo_db), "COMPANION_WORKERS": "2"}).start()
    connections: list[http.client.HTTPConnection] = []
    try:
        parts = urlsplit(server.url)
        connections = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=10) for _ in range(CLIENTS)]
        for connection in connections:
            connection.request("POST", "/v1/trace", body='{"conversationId": "before"}', headers=AUTH)
            response = connection.getresponse()
            response.read()
            assert response.status == 200 and not response.will_close
        results: list[object] = [None] * CLIENTS
        barrier = threading.Barrier(CLIENTS + 1)

        def send(n):
            barrier.wait()
            time.sleep(0.015 + 0.002 * n)  # 15 to 29 ms after the signal
            try:
                connections[n].request("POST", "/v1/trace", body='{"conversationId": "during"}', headers=AUTH)
                response = connections[n].getresponse()
                response.read()
                results[n] = (response.status, response.getheader("Connection", "").lower())
            except (OSError, http.client.HTTPException) as exc:
                results[n] = type(exc).__name__

        senders = [threading.Thread(target=send, args=(n,)) for n in range(CLIENTS)]
        for sender in senders:
            sender.start()
        server.process.send_signal(signal.SIGTERM)
        barrier.wait()
        for sender in senders:
            sender.join(15)
        assert all(isinstance(r, tuple) for r in results), results
        assert all(status in (200, 503) for status, _ in results), results
        # A 503 (the drain) tells the client not to reuse the connection. A 200 may still say keep-alive: the
        # master forwards SIGTERM to the workers, so a request can be answered before its worker has it.
        assert all(connection == "close" for status, connection in results if status == 503), results
        assert server.process.wait(25) == 0
    finally:
        for connection in connections:
            connection.close()
        server.stop()
        server.log_path.unlink(missing_ok=True)
