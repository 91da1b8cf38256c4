"""gunicorn's gevent worker with each connection's read deadline spread out, so a flood of connections
opened together does not come back together.

gunicorn's gevent worker gives every connection `keepalive` seconds to send its next request (or the rest of
a body it announced). Slow clients that open hundreds of connections at once are all cut at the same moment,
reconnect at the same moment, and the burst of new connections delays legitimate requests behind it
(bench/slow_clients.py: p99 324 ms with 500 such sockets). Drawn between 1 and 2 times `keepalive` per
request, the deadlines spread the reconnects over a whole `keepalive` period instead.
"""

from __future__ import annotations

import random

import gevent
from gunicorn.workers.ggevent import GeventWorker


class SpreadDeadlineGeventWorker(GeventWorker):
    """GeventWorker whose per-request read deadline is keepalive x a random factor in [1, 2)."""

    def timeout_ctx(self):
        return gevent.Timeout(self.cfg.keepalive * (1 + random.random()), False)
