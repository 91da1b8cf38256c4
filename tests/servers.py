"""Real servers for end-to-end tests: gunicorn running the service with the repository's config."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "service" / "gunicorn_conf.py"
# gunicorn's own line (INFO) or the service banner (always printed, whatever the log level).
_LISTENING = re.compile(r'(?:Listening at:|is listening on) (http://[^\s,"]+)')


class ServerError(RuntimeError):
    """gunicorn did not come up; the message carries its log."""


class GunicornServer:
    """gunicorn with service/gunicorn_conf.py on a free 127.0.0.1 port; a context manager.

    Only the COMPANION_* and OTEL_* variables given in env reach the server (plus COMPANION_BIND), so the
    developer's shell cannot change what a test sees.
    """

    def __init__(self, env: dict[str, str], start_timeout: float = 30.0, app: str | None = None,
                 command: list[str] | None = None):
        # OTEL_* too: a developer's own OpenTelemetry settings would turn span export on in every server.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPANION_", "OTEL_"))}
        self.env.update(env)
        self.env.setdefault("COMPANION_BIND", "127.0.0.1:0")
        self.start_timeout = start_timeout
        # Another WSGI app under the same gunicorn config (bench/ uses it for its bare-Flask baseline).
        self.app = app
        # Another way to start it, e.g. `companion serve` (which binds what --host/--port say).
        self.command = command
        self.url = ""
        self.process: subprocess.Popen | None = None
        fd, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
        os.close(fd)
        self.log_path = Path(name)

    def start(self) -> GunicornServer:
        """Start gunicorn and wait until /healthz answers."""
        with self.log_path.open("ab") as log:
            # The child keeps its own copy of the descriptor; ours is closed at once.
            command = self.command or [
                sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), *([self.app] if self.app else [])
            ]
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n{self.log_text()}")
            match = _LISTENING.search(self.log_text())
            if match:
                self.url = match.group(1)
                try:
                    if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                        return self
                except (requests.ConnectionError, requests.Timeout):  # a loaded host may answer late
                    pass
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"gunicorn did not become healthy in {self.start_timeout}s:\n{self.log_text()}")

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful drain), then SIGKILL after timeout; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(5)

    def log_text(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict]:
        """The JSON log lines written so far (gunicorn's own plain-text lines are skipped)."""
        lines = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def access_lines(self) -> list[dict]:
        """The app's per-request access log lines."""
        return [line for line in self.log_lines() if line.get("logger") == "companion.access"]

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)
