"""gunicorn settings for architect-companion (used by `companion serve`, the e2e tests and bench/).

Why these values: the service is I/O-bound (it waits on a CRM over HTTP, and on clients that send their
requests), so each worker is a gevent worker: one greenlet per connection, however slowly it sends. A
thread-pool worker (gthread) reads a request in a pool thread, so a few dozen sockets trickling a byte
every 2 s took all 16 threads and legitimate requests timed out; with gevent 500 such sockets leave a
legitimate request's p99 in milliseconds (bench/slow_clients.py, docs/deploying.md §8). Our subclass
(service/gevent_worker.py) only spreads each connection's read deadline, so sockets opened together are
not cut, and do not reconnect, together.
gunicorn's own guidance: a buffering proxy in front, or an async worker (https://gunicorn.org/design).
The worker count follows the cores so the CPU-bound part (JSON, HMAC, Flask) runs in parallel despite
the GIL. Override with COMPANION_WORKERS (and COMPANION_BIND) without editing this file.
"""

# gevent's cooperative sockets must be in place before anything else opens one: the app is built in this
# master (preload_app), and its connection pools and locks must be gevent's in every worker.
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import shutil
import signal
import tempfile

from gunicorn import util as _gunicorn_util

from service.config import read_settings
from service.preflight import checked_settings
from service.serving import when_ready as _announce
from service.serving import write_json_error

# Requests gunicorn refuses before the app sees them (a request line over limit_request_line, too many
# headers, a malformed request line) get the service's JSON error shape, not gunicorn's HTML page: a
# Genesys data action reads the body of any answer as JSON. gunicorn has no setting for this page.
_gunicorn_util.write_error = write_json_error

# Prometheus multiprocess mode (service/metrics.py): every worker writes its samples to files in one
# directory, which prometheus-client finds through this variable. It must be set before prometheus_client
# is imported, and that happens as early as the start-up checks below (the http backend's checks import
# its module, which records metrics), then in the app preload_app builds in this master. It must start
# empty, or counters of a previous run come back. gunicorn re-runs this file on SIGHUP: the same master
# then keeps its directory, so counters survive a reload like they survive a worker restart.
_MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"
_MULTIPROC_OWNER_VAR = "ARCHITECT_COMPANION_METRICS_MASTER_PID"


def _prepare_metrics_dir(metrics_dir) -> None:
    if os.environ.get(_MULTIPROC_OWNER_VAR) == str(os.getpid()) and os.environ.get(_MULTIPROC_VAR):
        return
    if metrics_dir is None:
        path = tempfile.mkdtemp(prefix="companion-metrics-")
    else:
        metrics_dir.mkdir(parents=True, exist_ok=True)
        # Only prometheus-client's own files: a mistyped COMPANION_METRICS_DIR must not cost anyone data.
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        path = str(metrics_dir)
    os.environ[_MULTIPROC_VAR] = path
    os.environ[_MULTIPROC_OWNER_VAR] = str(os.getpid())


def _remove_own_metrics_dir(metrics_dir) -> None:
    if metrics_dir is None and os.environ.get(_MULTIPROC_OWNER_VAR) == str(os.getpid()):
        shutil.rmtree(os.environ[_MULTIPROC_VAR], ignore_errors=True)


_early, _early_problems = read_settings()
_prepare_metrics_dir(None if _early_problems else _early.metrics_dir)
try:
    # `gunicorn -c service/gunicorn_conf.py` without `companion serve` gets the same clean exit (status 2).
    _settings = checked_settings()
except SystemExit:
    _remove_own_metrics_dir(None if _early_problems else _early.metrics_dir)
    raise

bind = _settings.bind
worker_class = "service.gevent_worker.SpreadDeadlineGeventWorker"
# Connections per worker, slow ones included (gunicorn's default); past it a worker stops accepting.
worker_connections = 1000
workers = _settings.workers
# Genesys data actions time out after at most 60 s; nothing we serve may take longer than the CRM deadline.
timeout = 30
graceful_timeout = 20
# Genesys and load balancers reuse connections; a short keep-alive saves the TCP handshake per execution.
keepalive = 5
# Request line and header limits well above what Genesys sends, far below what an attacker would like.
limit_request_line = 4094
limit_request_fields = 100
# The app writes its own JSON access line per request; gunicorn's would duplicate it, and its logger would
# build one per request even unwritten (service.serving.AppAccessLineLogger).
accesslog = None
logger_class = "service.serving.AppAccessLineLogger"
errorlog = "-"
loglevel = _settings.log_level.lower()
# gunicorn's own lines (booting, worker exits, timeouts) in the same JSON shape as the service's, so a log
# pipeline parses every line on stderr. gunicorn applies logconfig_dict over its default logging config.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.logs.json_formatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False}},
    "root": {"level": "WARNING", "handlers": ["stderr"]},
}
# Load the app once in the master: config errors stop start-up before any worker forks, and a demo
# key generated by create_app is the same in every worker.
preload_app = True
wsgi_app = "service.wsgi:app"
# gunicorn 24+ opens a control socket at one fixed path per user; several instances on one host (tests,
# blue/green) would fight over it, and nothing here uses it.
control_socket_disable = True


def when_ready(server):
    _announce(server)


def child_exit(server, worker):
    # Drop the dead worker's in-flight and breaker gauges (their "live" modes); its counters stay counted.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _start_draining(worker) -> None:
    from service.health import start_draining

    # bench/'s bare-Flask baseline runs under this config too; any Flask app has extensions.
    if hasattr(worker.wsgi, "extensions"):
        start_draining(worker.wsgi)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def _exit_at_once(signum, frame):
    os._exit(0)


def post_fork(server, worker):
    # A new worker runs the master's signal handlers until init_process() installs its own; those only
    # queue the signal in the child's copy of the arbiter, where nothing reads it. A SIGTERM that lands
    # in that window (a deploy stopping the service while a worker boots) was lost, and the master
    # waited the whole graceful_timeout before killing the worker. Until the worker's handlers are in,
    # a stop signal ends the fresh worker at once (exit 0: it has served nothing; SIGQUIT's default action
    # would dump core); one that already arrived ends it here.
    for stop in _STOP_SIGNALS:
        signal.signal(stop, _exit_at_once)
    while not server.SIG_QUEUE.empty():  # a queue.SimpleQueue since gunicorn 27 (pyproject.toml's floor)
        if server.SIG_QUEUE.get_nowait() in _STOP_SIGNALS:
            os._exit(0)


def _span_recorder(app):
    # service.spans.EXTENSION; looked up without importing service.spans, which loads the OpenTelemetry SDK.
    return getattr(app, "extensions", {}).get("companion.spans")


def _start_span_export(worker) -> None:
    # The batch processor's export thread must start in each worker: a thread started in the master (where
    # preload_app built the app) does not survive the fork. Only an app that records spans has a recorder.
    recorder = _span_recorder(worker.wsgi)
    if recorder is not None:
        recorder.start()


def _flush_spans(worker) -> None:
    # The master calls worker_exit too, for a worker it found already gone; its copy never loaded the app.
    recorder = _span_recorder(getattr(worker, "wsgi", None))
    if recorder is not None:
        recorder.shutdown()


def worker_exit(server, worker):
    # Graceful stop (SIGTERM) and max-requests restarts: the spans still queued go out before the worker ends.
    _flush_spans(worker)


def post_worker_init(worker):
    _start_span_export(worker)
    # The worker's SIGTERM handler only stops accepting and drains; gunicorn has no hook for it. Wrap it so
    # /readyz answers 503 during the drain (requests on kept-alive connections still reach the worker).
    drain = signal.getsignal(signal.SIGTERM)

    def _on_sigterm(signum, frame):
        _start_draining(worker)
        drain(signum, frame)

    signal.signal(signal.SIGTERM, _on_sigterm)
    # signal.signal() makes the signal interrupt system calls again; gunicorn had turned that off.
    signal.siginterrupt(signal.SIGTERM, False)


def worker_int(worker):
    # SIGINT/SIGQUIT: quick shutdown; the worker exits within 0.1 s, but say so to any probe meanwhile.
    _start_draining(worker)


def on_exit(server):
    # A directory this master created for itself goes with it; a configured one is left for inspection.
    _remove_own_metrics_dir(_settings.metrics_dir)
