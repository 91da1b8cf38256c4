"""The shared CRM: one PostgreSQL database read by every instance, written only by `companion crm import`.

One lookup: breaker allows? -> a pooled connection within the connect budget -> the same SELECTs as the
SQLite store -> answer, in the request's own thread. statement_timeout makes the server cancel a slow or
blocked query inside the deadline; a database that does not answer at all (the server stopped, a network
black hole, where no timeout of PostgreSQL's own can fire) has the connection's socket shut down at the
deadline (service.crm.deadline), so every lookup still gets a degraded answer in time. Reconnecting is the
pool's job; after an outage the breaker's probe starts a fresh pool, so recovery does not wait out the
pool's back-off.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping

import psycopg
import psycopg_pool
from psycopg import conninfo

from schemas.fields_file import NO_CUSTOM_FIELDS
from schemas.record import record_fields
from service import metrics
from service.config import ConfigError
from service.config import Settings
from service.crm.base import KEY_ORDER
from service.crm.base import Lookup
from service.crm.breaker import HALF_OPEN
from service.crm.breaker import CircuitBreaker
from service.crm.deadline import SocketDeadlines
from service.crm.postgres_schema import fields_problem
from service.crm.postgres_schema import schema_problem
from service.crm.postgres_schema import select_by_key
from service.crm.postgres_schema import served_fields_problem
from service.crm.sqlite import row_to_record

log = logging.getLogger("companion.crm")

APPLICATION_NAME = "architect-companion"
# libpq rounds connect_timeout (whole seconds) up to 2 s: "The minimum allowed timeout is 2 seconds"
# (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-CONNECT-TIMEOUT). Lookups do
# not rely on it: they wait for a pooled connection at most crm_connect_timeout_ms.
_MIN_CONNECT_TIMEOUT_S = 2
# Connections each worker keeps open while idle; more are opened up to the thread count under load.
POOL_MIN_SIZE = 1
# Idle connections above POOL_MIN_SIZE are closed after this long, so a quiet instance holds few.
POOL_MAX_IDLE_S = 300.0
MIN_STATEMENT_TIMEOUT_MS = 10
_HOW_TO_CREATE = "create it with `companion crm import FILE.csv --database-url URL`"


def url_problem(url: str) -> str | None:
    """None when url is a libpq connection URL or key=value string; otherwise why not (without the URL,
    which may hold a password)."""
    try:
        # Even "postgresql://" is valid: every part then comes from libpq's defaults and PG* variables.
        conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return (
            "is not a valid libpq connection string; expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            " (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING)"
        )
    return None


def describe_target(url: str) -> str:
    """host:port/database of a connection URL, for messages (never the user or the password)."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the database"
    hosts = (parts.get("host") or parts.get("hostaddr") or "localhost").split(",")
    ports = (parts.get("port") or "5432").split(",")
    # Several hosts may come with one port for all or one port each (libpq's multi-host form).
    ports = ports * len(hosts) if len(ports) == 1 else ports
    where = ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in zip(hosts, ports))
    return f"{where}/{parts.get('dbname') or parts.get('user') or ''}".rstrip("/")


def connection_string(url: str, connect_timeout_s: float) -> str:
    """The URL with our application_name and a libpq connect timeout (values in url win)."""
    given = conninfo.conninfo_to_dict(url)
    extra = {
        "application_name": APPLICATION_NAME,
        "connect_timeout": max(_MIN_CONNECT_TIMEOUT_S, math.ceil(connect_timeout_s)),
    }
    return conninfo.make_conninfo(url, **{k: v for k, v in extra.items() if k not in given})


def startup_problems(settings: Settings) -> list[str]:
    """One line per problem with the PostgreSQL settings or database (for the start-up checks); an
    unreachable database is none (the service starts degraded)."""
    try:
        backend = PostgresBackend(settings)
    except ConfigError as exc:
        return str(exc).splitlines()
    # A fields file that could not be read was reported already: comparing with no fields would mislead.
    unread = settings.fields_file is not None and settings.fields is NO_CUSTOM_FIELDS
    problem = backend.schema_problem(check_fields=not unread)
    return [problem] if problem else []


# A lookup names every configured column: one missing is, in practice, a custom field an import removed.
_FIELD_GONE = ("the customers table lacks a column the lookups read (an import removed a custom field?); restart the "
               "service with the fields file the database was imported with")


def _failure_reason(exc: BaseException) -> tuple[str, str]:
    """(outcome, reason) for a failed lookup; reasons name no key and no credential."""
    if isinstance(exc, psycopg_pool.PoolTimeout):
        return "timeout", "no database connection available in time"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return "timeout", "the database cancelled the query (statement_timeout)"
    if isinstance(exc, psycopg.errors.UndefinedColumn):
        return "error", _FIELD_GONE
    if isinstance(exc, psycopg.OperationalError):
        return "error", "the database connection failed"
    return "error", f"database error ({type(exc).__name__})"


class _Runtime:
    """The connection pool and the deadline watchdog of one process (created after gunicorn forks)."""

    def __init__(self, connect: str, threads: int, statement_timeout_ms: int):
        self.pid = os.getpid()
        self._connect = connect
        self._threads = threads
        self._statement_timeout_ms = statement_timeout_ms
        self.deadlines = SocketDeadlines(name="crm-postgres-deadlines")
        self.pool = self._new_pool()

    def _configure(self, connection: psycopg.Connection) -> None:
        # The server stops working on a lookup the service no longer waits for.
        connection.execute("SELECT set_config('statement_timeout', %s, false)", (f"{self._statement_timeout_ms}ms",))

    def _new_pool(self) -> psycopg_pool.ConnectionPool:
        pool = psycopg_pool.ConnectionPool(
            self._connect,
            min_size=POOL_MIN_SIZE,
            max_size=self._threads,
            # autocommit: a lookup is one SELECT, one round trip, no transaction to end.
            kwargs={"autocommit": True},
            configure=self._configure,
            max_idle=POOL_MAX_IDLE_S,
            name="companion-crm",
            open=False,
        )
        pool.open(wait=False)
        return pool

    def renew_pool(self) -> None:
        """Replace the pool by a new one that connects at once (the old one may be deep in its back-off)."""
        old, self.pool = self.pool, self._new_pool()
        # Its threads may be stuck on a hung server: close it without making this lookup wait.
        threading.Thread(target=old.close, kwargs={"timeout": 5.0}, name="crm-postgres-close", daemon=True).start()

    def close(self) -> None:
        self.deadlines.stop()
        self.pool.close(timeout=1.0)


class PostgresBackend:
    """CrmBackend over a shared PostgreSQL database; one per process, shared by its request threads."""

    name = "postgres"

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic):
        problem = url_problem(settings.database_url)
        if problem:
            raise ConfigError(f"COMPANION_DATABASE_URL: {problem}")
        self.target = describe_target(settings.database_url)
        self._connect_s = settings.crm_connect_timeout_ms / 1000
        self._deadline_s = settings.crm_deadline_ms / 1000
        self._connect = connection_string(settings.database_url, self._connect_s)
        self._threads = settings.threads
        # The built-in fields, then the custom ones of COMPANION_FIELDS_FILE, in the answer's order.
        self._custom = settings.fields.fields
        self._fields = record_fields(self._custom)
        self._select = select_by_key(self._fields)
        # The server cancels a query while the request still has time to answer degraded: the deadline less
        # the time a lookup may have spent waiting for its connection.
        self._statement_timeout_ms = max(
            MIN_STATEMENT_TIMEOUT_MS, settings.crm_deadline_ms - settings.crm_connect_timeout_ms)
        self._clock = clock
        self._breaker = CircuitBreaker(
            settings.crm_breaker_failures, settings.crm_breaker_cooldown_s, clock=clock,
            on_transition=self._breaker_changed,
        )
        self._lock = threading.Lock()
        self._runtime_: _Runtime | None = None
        self._closed = False

    # -- start-up -------------------------------------------------------------------------------------

    def check_schema(self) -> None:
        """Stop start-up when the database is not a companion CRM of our schema version, or refuses us.

        A database that cannot be reached is not a configuration error: the service starts, answers
        degraded and /readyz says 503 until the database is back.

        :raise ConfigError: naming COMPANION_DATABASE_URL.
        """
        problem = self.schema_problem()
        if problem:
            raise ConfigError(problem)

    def schema_problem(self, *, check_fields: bool = True) -> str | None:
        """check_schema's verdict as one line naming COMPANION_DATABASE_URL, or None (also when unreachable).
        check_fields: also compare the custom fields the database was imported with to the configured ones."""
        try:
            with psycopg.connect(self._connect, autocommit=True) as connection:
                problem = schema_problem(connection)
                fields = fields_problem(connection, self._custom) if check_fields and not problem else None
        except psycopg.OperationalError as exc:
            if refused_by_server(exc):
                return f"COMPANION_DATABASE_URL: {self.target} refused the connection: {first_line(exc)}"
            log.warning("CRM database unreachable at start-up; answering degraded until it is back",
                        extra={"database": self.target, "error": first_line(exc)})
            return None
        except psycopg.Error as exc:
            return f"COMPANION_DATABASE_URL: {self.target}: {first_line(exc)}"
        if problem:
            return f"COMPANION_DATABASE_URL: {self.target}: {problem}; {_HOW_TO_CREATE}"
        if fields:
            return f"COMPANION_DATABASE_URL: {self.target}: {fields}"
        return None

    # -- CrmBackend ----------------------------------------------------------------------------------

    def lookup(self, keys: Mapping[str, str]) -> Lookup:
        """The customer matching the first given key in KEY_ORDER that matches anyone, within the deadline."""
        deadline = self._clock() + self._deadline_s
        if not self._breaker.allow():
            reason = self._breaker.open_reason() or "CRM circuit breaker open; a probe is in flight"
            return Lookup(None, "none", degraded=True, outcome="breaker_open", reason=reason)
        probe = self._breaker.state == HALF_OPEN
        outcome, record, reason = self._run(self._find, keys, deadline=deadline, probe=probe)
        if outcome in ("hit", "miss"):
            return Lookup(record, self.name, outcome=outcome)
        return Lookup(None, "none", degraded=True, outcome=outcome, reason=reason)

    def readiness(self) -> str | None:
        """None while the database answers; otherwise why not. A probe of the breaker too, so an instance
        without traffic still notices that the database is back."""
        if not self._breaker.allow():
            return self._breaker.open_reason() or "CRM circuit breaker open; a probe is in flight"
        probe = self._breaker.state == HALF_OPEN
        outcome, problem, reason = self._run(
            lambda connection: ("hit", schema_problem(connection) or served_fields_problem(connection, self._custom),
                                ""), None,
            deadline=self._clock() + self._deadline_s, probe=probe,
        )
        if outcome != "hit":
            return f"CRM database {self.target} unavailable: {reason}"
        if problem:
            return f"CRM database {self.target}: {problem}"
        return None

    def close(self) -> None:
        """Stop the deadline watchdog and close the pool's connections."""
        with self._lock:
            self._closed = True
            runtime, self._runtime_ = self._runtime_, None
        if runtime is not None and runtime.pid == os.getpid():
            runtime.close()

    # -- internals -----------------------------------------------------------------------------------

    @property
    def breaker_state(self) -> str:
        """closed, half_open or open."""
        return self._breaker.state

    def _runtime(self) -> _Runtime:
        runtime = self._runtime_
        if runtime is not None and runtime.pid == os.getpid():
            return runtime
        with self._lock:
            if self._closed:
                raise RuntimeError("CRM backend is closed")
            # Threads and sockets do not survive fork: a gunicorn worker builds its own pool.
            if self._runtime_ is None or self._runtime_.pid != os.getpid():
                self._runtime_ = _Runtime(self._connect, self._threads, self._statement_timeout_ms)
            return self._runtime_

    def _run(self, query: Callable, keys, *, deadline: float, probe: bool) -> tuple[str, object, str]:
        """(outcome, value, reason) of query(connection[, keys]), over by the deadline; feeds the breaker."""
        try:
            runtime = self._runtime()
        except RuntimeError:
            return "error", None, "CRM backend is closed"
        if probe:
            runtime.renew_pool()
        outcome, value, reason = self._attempts(runtime, query, keys, deadline)
        if outcome in ("hit", "miss"):
            self._breaker.record_success()
        else:
            self._breaker.record_failure()
            log.warning("CRM database lookup failed",
                        extra={"database": self.target, "outcome": outcome, "reason": reason})
        return outcome, value, reason

    def _attempts(self, runtime: _Runtime, query: Callable, keys, deadline: float) -> tuple[str, object, str]:
        """One attempt, and more while the budget lasts when the pool handed out a connection the server had
        dropped: a restart breaks every idle connection at once, and each broken one fails at once and is
        discarded, until the pool hands out a new one."""
        for attempt in range(1, self._threads + 2):
            remaining = deadline - self._clock()
            if remaining <= 0:
                return "timeout", None, self._no_answer()
            watch = None
            try:
                with runtime.pool.connection(timeout=min(self._connect_s, remaining)) as connection:
                    watch = runtime.deadlines.watch(connection.pgconn.socket, deadline)
                    try:
                        return query(connection) if keys is None else query(connection, keys)
                    finally:
                        # Before the connection goes back to the pool: it is never shut down after that.
                        if runtime.deadlines.finish(watch):
                            connection.close()  # shut down at the deadline: the pool discards it
            except psycopg_pool.PoolTimeout as exc:  # an OperationalError too, but nothing to retry
                outcome, reason = _failure_reason(exc)
            except psycopg.OperationalError as exc:
                if watch is not None and watch.killed:
                    return "timeout", None, self._no_answer()
                if attempt <= self._threads and connection_broken(exc):
                    continue
                outcome, reason = _failure_reason(exc)
            except psycopg.Error as exc:
                outcome, reason = _failure_reason(exc)
            except Exception:  # a bug here must not escape lookup(); say where it happened
                log.exception("CRM database lookup crashed")
                outcome, reason = "error", "CRM database lookup crashed (see the log)"
            return outcome, None, reason
        return "error", None, "the database connection failed"

    def _no_answer(self) -> str:
        return f"the database gave no answer within {self._deadline_s * 1000:.0f} ms"

    def _find(self, connection: psycopg.Connection, keys: Mapping[str, str]) -> tuple[str, object, str]:
        for key in KEY_ORDER:
            value = keys.get(key)
            if value:
                row = connection.execute(self._select[key], (value,)).fetchone()
                if row is not None:
                    return "hit", row_to_record(row, self._fields), ""
        return "miss", None, ""

    def _breaker_changed(self, state: str) -> None:
        metrics.set_breaker_state(state)
        log.warning("CRM circuit breaker %s", state.replace("_", "-"), extra={"breakerState": state})


# Server refusals that pass by themselves: a start-up, a shutdown or a failover in progress, or full slots.
_TRANSIENT_REFUSALS = (
    "starting up", "shutting down", "in recovery", "too many", "connection slots", "not yet accepting",
)


def refused_by_server(exc: psycopg.OperationalError) -> bool:
    """True when the server answered a connection attempt and refused it for good (wrong password, no such
    database or role): a configuration error. libpq reports these at connection time with the server's
    "FATAL:" line and no SQLSTATE, so the message is all there is to go by."""
    message = str(exc)
    return "FATAL:" in message and not any(words in message for words in _TRANSIENT_REFUSALS)


def connection_broken(exc: psycopg.OperationalError) -> bool:
    """True for errors of the connection itself (no SQLSTATE, or the admin/crash shutdown classes 57P)."""
    return exc.sqlstate is None or exc.sqlstate.startswith("57P")


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
