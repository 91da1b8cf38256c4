"""A small threaded HTTP server on 127.0.0.1 standing in for the remote endpoint of a data action."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    """What the stub sends for one method + path."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before the status line (simulates a slow backend)


@dataclass
class Received:
    """A request the stub received."""

    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


@dataclass
class StubServer:
    """`with StubServer() as stub: stub.answer("GET", "/x", json={...}); ... stub.url; stub.received`."""

    answers: dict = field(default_factory=dict)
    received: list = field(default_factory=list)

    def answer(self, method: str, path: str, *, json_body=None, text: str | None = None, status: int = 200,
               content_type: str | None = None, delay: float = 0.0) -> None:
        """Answer `method path` with a JSON document (json_body) or raw text."""
        if text is not None:
            body, kind = text.encode("utf-8"), content_type or "text/plain; charset=utf-8"
        elif json_body is not None:
            body, kind = json.dumps(json_body).encode("utf-8"), content_type or "application/json"
        else:
            body, kind = b"", content_type or "application/json"
        self.answers[(method, path)] = Answer(status, body, kind, delay)

    def __enter__(self) -> "StubServer":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes; avoid the 40 ms delayed ACK

            def _handle(self):
                parts = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.received.append(Received(self.command, parts.path, urllib.parse.parse_qs(parts.query),
                                              dict(self.headers.items()), body))
                answer = stub.answers.get((self.command, parts.path))
                if answer is None:
                    answer = Answer(404, json.dumps({"message": f"no stub for {self.command} {parts.path}"}).encode())
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format, *args):  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def last(self) -> Received:
        return self.received[-1]
