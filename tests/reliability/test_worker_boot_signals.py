"""A stop signal that reaches a gunicorn worker while it boots is honoured, not lost.

Between fork and init_process() the worker runs the master's handler, which only queues the signal in
the child's copy of the arbiter. Before post_fork in service/gunicorn_conf.py such a SIGTERM was dropped
and the master waited graceful_timeout (20 s) for the worker; seen in CI as a stop that needed SIGKILL.
Each check runs in its own interpreter, which installs gunicorn's real Arbiter.signal handler.
"""

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.servers import GUNICORN_CONF
from tests.servers import ROOT

_PRELUDE = f"""
import importlib.util, os, queue, signal
from gunicorn.arbiter import Arbiter

# The config file checks the settings when it loads; the http backend needs no database file for that.
os.environ.update(COMPANION_API_KEYS={API_KEY!r}, COMPANION_TRACE_SECRET={TRACE_SECRET!r},
                  COMPANION_CRM_BACKEND="http", COMPANION_CRM_URL_TEMPLATE="https://crm.example/c?phone={{phone}}")
spec = importlib.util.spec_from_file_location("gunicorn_conf", {str(GUNICORN_CONF)!r})
conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conf)

master = object.__new__(Arbiter)  # only its signal queue and handler are used
master.SIG_QUEUE = queue.SimpleQueue()
for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
    signal.signal(stop, master.signal)  # what a freshly forked worker inherits
"""


def _run(body: str) -> subprocess.CompletedProcess:
    script = _PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_sigterm_queued_before_post_fork_ends_the_worker():
    result = _run(
        """
        os.kill(os.getpid(), signal.SIGTERM)  # lands in the inherited handler: only queued
        assert not master.SIG_QUEUE.empty()
        conf.post_fork(master, None)
        print("worker went on booting")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "worker went on booting" not in result.stdout


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT", "SIGQUIT"])
def test_a_stop_signal_after_post_fork_ends_the_booting_worker_cleanly(stop):
    result = _run(
        f"""
        conf.post_fork(master, None)
        os.kill(os.getpid(), signal.{stop})
        print("worker went on booting")
        """
    )
    # Exit 0 at once: no lost signal, and no core dump for SIGQUIT.
    assert result.returncode == 0, result.stderr
    assert "worker went on booting" not in result.stdout


def test_other_queued_signals_leave_the_worker_booting():
    result = _run(
        """
        master.SIG_QUEUE.put_nowait(signal.SIGCHLD)  # the master's own business
        conf.post_fork(master, None)
        print("worker went on booting")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "worker went on booting" in result.stdout
