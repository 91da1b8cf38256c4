"""Slow clients against a real server: sockets that trickle a request, and legitimate requests timed meanwhile.

Shared by tests/reliability/test_slow_clients.py (asserted) and bench/slow_clients.py (reported). Three
shapes, as an attacker without a key would send them, spread evenly over the sockets:

- head: a request line, then one header byte per tick and never the blank line (slowloris);
- body: a complete head announcing a 100 kB body, then one body byte per tick;
- short: a complete head announcing 1,000 bytes, 10 of them sent, then nothing at all.

A socket the server closes is opened again at once, so `count` stay open for as long as the server allows.
"""

from __future__ import annotations

import dataclasses
import http.client
import multiprocessing
import socket
import statistics
import time
from urllib.parse import urlsplit

SHAPES = ("head", "body", "short")
TICK_S = 2.0


def _opening(shape: str) -> bytes:
    if shape == "head":
        return b"POST /v1/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    length = 100_000 if shape == "body" else 1_000
    head = (
        f"POST /v1/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    return head + (b'{"convers' if shape == "short" else b"{")


class _Trickler:
    """The slow sockets themselves; runs in its own process (see SlowClients)."""

    def __init__(self, address: tuple[str, int], count: int, tick_s: float, stats, stop):
        self.address = address
        self.count = count
        self.tick_s = tick_s
        self.stats = stats  # shared array: open, reopened, failed connects
        self.stop = stop
        self.sockets: dict[socket.socket, str] = {}

    def open(self, shape: str) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(2)
        try:
            sock.connect(self.address)
            sock.sendall(_opening(shape))
        except OSError:
            self.stats[2] += 1
            sock.close()
            return
        sock.setblocking(False)
        self.sockets[sock] = shape

    def run(self) -> None:
        for n in range(self.count):
            self.open(SHAPES[n % len(SHAPES)])
        self.stats[0] = len(self.sockets)
        next_tick = time.monotonic() + self.tick_s
        while not self.stop.is_set():
            # Whatever the server answered (a 401, a 408) or a close: that socket is replaced.
            for sock in list(self.sockets):
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    shape = self.sockets.pop(sock)
                    sock.close()
                    self.stats[1] += 1
                    self.open(shape)
            if time.monotonic() >= next_tick:
                next_tick += self.tick_s
                for sock, shape in list(self.sockets.items()):
                    if shape != "short":
                        try:
                            sock.send(b"a" if shape == "head" else b" ")
                        except OSError:
                            pass  # noticed as a close on the next pass
            self.stats[0] = len(self.sockets)
            self.stop.wait(0.05)
        for sock in self.sockets:
            sock.close()


def _trickle(address, count, tick_s, stats, stop) -> None:
    _Trickler(address, count, tick_s, stats, stop).run()


class SlowClients:
    """`count` sockets to the server at url trickling requests until stop(); a context manager.

    They live in a process of their own, as an attacker's would: their work must not slow the process
    that times the legitimate requests.
    """

    def __init__(self, url: str, count: int, *, tick_s: float = TICK_S):
        parts = urlsplit(url)
        context = multiprocessing.get_context("spawn")
        self._stats = context.Array("q", 3, lock=False)
        self._stop = context.Event()
        self._process = context.Process(
            target=_trickle, args=((parts.hostname, parts.port), count, tick_s, self._stats, self._stop),
            name="slow-clients", daemon=True,
        )
        self.count = count

    def start(self) -> SlowClients:
        self._process.start()
        deadline = time.monotonic() + 60
        while self._stats[0] + self._stats[2] < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    @property
    def open_count(self) -> int:
        return self._stats[0]

    @property
    def reopened(self) -> int:
        return self._stats[1]

    @property
    def failed_connects(self) -> int:
        return self._stats[2]

    def stop(self) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def __enter__(self) -> SlowClients:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclasses.dataclass
class ProbeFigures:
    """Legitimate requests sent one after another on fresh connections."""

    label: str
    latencies_ms: list[float]
    errors: list[str]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("inf")

    @property
    def p99_ms(self) -> float:
        if len(self.latencies_ms) < 2:
            return float("inf")
        return statistics.quantiles(self.latencies_ms, n=100)[98]

    def line(self) -> str:
        return (
            f"{self.label:<34} p50 {self.p50_ms:>7.2f} ms  p99 {self.p99_ms:>8.2f} ms  "
            f"max {max(self.latencies_ms, default=0):>8.2f} ms  errors {len(self.errors)}  "
            f"({len(self.latencies_ms)} requests)"
        )


def probe(url: str, headers: dict[str, str], requests: int, *, label: str, timeout_s: float = 5.0,
          pause_s: float = 0.01, give_up_after: int = 10) -> ProbeFigures:
    """POST /v1/trace `requests` times, each on a new connection (the worst case: accept, then parse);
    stops early after `give_up_after` failures (timeouts cost `timeout_s` each)."""
    parts = urlsplit(url)
    latencies, errors = [], []
    for n in range(requests):
        started = time.perf_counter()
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
        try:
            connection.request("POST", "/v1/trace", body=f'{{"conversationId": "probe-{n}"}}', headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"HTTP {response.status}")
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
        finally:
            connection.close()
        latencies.append((time.perf_counter() - started) * 1000)
        if len(errors) >= give_up_after:
            break
        time.sleep(pause_s)
    return ProbeFigures(label, latencies, errors)
