"""Slow clients: a legitimate request's latency while hundreds of sockets trickle requests without a key.

`python -m bench slow_clients`. One `companion serve`-equivalent gunicorn (the repository's config, 2 workers,
the demo CRM). Rounds: first with no slow socket (the baseline of this run), then with 100 and 500 slow
sockets (tests/reliability/slow_clients.py: header trickle, body trickle, short body), each round timing
1,000 POST /v1/trace requests sent one after another, each on a new connection: over 10 s, two keepalive
periods and more, so the slow sockets' cut-offs and reconnects fall inside every round. Target (issue 11):
with 500 slow sockets open, every legitimate request answered and its p99 under 100 ms.
"""

from __future__ import annotations

import time

from bench.harness import HEADERS
from bench.harness import serve
from tests.reliability.slow_clients import SlowClients
from tests.reliability.slow_clients import probe

TARGET_P99_MS = 100.0
ROUNDS = (0, 100, 500)
REQUESTS = 1000


def run(requests: int = REQUESTS) -> dict:
    """Probe the server with 0, 100 and 500 slow sockets open; print the figures and the target."""
    server = serve()
    figures = {}
    try:
        probe(server.url, HEADERS, 50, label="warm-up")
        for count in ROUNDS:
            with SlowClients(server.url, count) as slow:
                # Let every slow socket reach a worker and send a tick or two first.
                time.sleep(5 if count else 0)
                result = probe(server.url, HEADERS, requests, label=f"POST /v1/trace, {count} slow sockets")
                print(result.line() + f"  (slow sockets open {slow.open_count}, reopened {slow.reopened}, "
                      f"failed connects {slow.failed_connects})", flush=True)
                figures[count] = result
    finally:
        server.stop()
        server.log_path.unlink(missing_ok=True)
    base, worst = figures[0], figures[max(ROUNDS)]
    ratio = worst.p99_ms / base.p99_ms if base.p99_ms else float("inf")
    print(f"{'p99 ratio, 500 slow / none':<34} {ratio:>7.2f}")
    met = not worst.errors and worst.p99_ms < TARGET_P99_MS
    print(f"targets: with {max(ROUNDS)} slow sockets every request answered and p99 < {TARGET_P99_MS:.0f} ms "
          f"-> {'MET' if met else 'MISSED'}")
    return {"figures": figures, "ratio": ratio, "met": met}


if __name__ == "__main__":
    run()
