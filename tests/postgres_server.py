"""A real, throwaway PostgreSQL server for tests and benchmarks: initdb in a temporary directory, 127.0.0.1 only.

PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not permitted), so as root
the cluster belongs to, and the server runs as, the unprivileged user `nobody` (runuser, util-linux).
`make test` installs the server (scripts/system-packages.txt); nothing here is skipped when it is missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "companion"
_UNPRIVILEGED = "nobody"


class PostgresError(RuntimeError):
    """The server could not be set up or started; the message carries its log."""


def server_binaries() -> Path:
    """The bin/ directory of the newest PostgreSQL server Debian installed (/usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(re.findall(r"/(\d+)/", p)[0]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresError("no PostgreSQL server installed; `make test` installs it (scripts/system-packages.txt)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster on a free 127.0.0.1 port; a context manager. `url(db)` gives a libpq URL."""

    def __init__(self, *, durable: bool = False, settings: dict[str, str] | None = None):
        # durable=False: fsync off, for tests (a crash loses the throwaway cluster anyway). Benchmarks use
        # durable=True so imports pay for what a real server pays for.
        self.durable = durable
        self.settings = settings or {}
        self.directory = Path(tempfile.mkdtemp(prefix="companion-pg-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "server.log"
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._bin = server_binaries()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", _UNPRIVILEGED, "--"]
            user = pwd.getpwnam(_UNPRIVILEGED)
            os.chown(self.directory, user.pw_uid, user.pw_gid)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str) -> None:
        result = subprocess.run([*self._as_user, *argv], capture_output=True, text=True, cwd=self.directory)
        if result.returncode != 0:
            raise PostgresError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")

    def start(self) -> PostgresServer:
        """initdb (first time) and start the server; returns when it accepts connections."""
        if not self.data.exists():
            self._run(str(self._bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        for _attempt in range(3):  # another process may take the free port between probe and bind
            self.port = free_port()
            options = {
                "listen_addresses": "127.0.0.1",
                "port": str(self.port),
                "unix_socket_directories": str(self.directory),
                "max_connections": "200",
                "fsync": "on" if self.durable else "off",
                "synchronous_commit": "on" if self.durable else "off",
                "full_page_writes": "on" if self.durable else "off",
                **self.settings,
            }
            argv = [str(self._bin / "postgres"), "-D", str(self.data)]
            for name, value in options.items():
                argv += ["-c", f"{name}={value}"]
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen([*self._as_user, *argv], stdout=log, stderr=subprocess.STDOUT,
                                                cwd=self.directory, start_new_session=True)
            if self._wait_ready(30.0):
                return self
            self.stop()
        raise PostgresError(f"PostgreSQL did not start:\n{self.log_text()}")

    def _wait_ready(self, timeout: float) -> bool:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        return False

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far: the postmaster, its live processes and the ones it reaped
        (a closed connection's backend), from /proc (Linux)."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        tick = os.sysconf("SC_CLK_TCK")

        def fields(process: int) -> list[str]:
            return Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()

        own = fields(pid)
        total = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(OSError):
                child_fields = fields(int(child))
                total += int(child_fields[11]) + int(child_fields[12])
        return total / tick

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT: abort sessions, then exit), SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
