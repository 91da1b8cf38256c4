"""The product app whose access lines also carry `runDelayMs`: `tests.reliability.wsgi_with_run_delay:app`.

runDelayMs is how long the host kept the request's thread waiting for a CPU between the start of the
access-line timer and the line (tests/run_delay.py): the part of duration_ms that a busy shared host
added, not the service. The workers are gevent's: that thread runs every request of its worker, whose pid
the line carries as workerPid. The timing tests of tests/reliability/test_crm_faults.py subtract it.
"""

import os

from flask import g

from service import create_app
from service.logs import log_fields
from tests.run_delay import thread_run_delay

app = create_app()


# Registered after create_app's hooks: before_request runs after the access timer started, after_request
# (run in reverse order) before the access line is written, so the span lies inside duration_ms.
@app.before_request
def _note_run_delay():
    g.run_delay_at_start = thread_run_delay()


@app.after_request
def _add_run_delay(response):
    started = g.get("run_delay_at_start")
    if started is not None:
        log_fields()["runDelayMs"] = round((thread_run_delay() - started) * 1000, 3)
    log_fields()["workerPid"] = os.getpid()
    return response
