"""A real HTTP server on 127.0.0.1 standing in for a customer's CRM, switchable between healthy and faulty.

    with CrmStub({"+13175550116": {"customerId": "C1", "firstName": "Ann"}}) as crm:
        template = crm.url + "/contacts?phone={phone}"   # for COMPANION_CRM_URL_TEMPLATE
        crm.slow(2000)          # answer after 2 s
        crm.refuse()            # nothing listens on the port: connections are refused
        crm.healthy()           # listening again, same port, serving the records
        crm.request_count       # requests received so far

A record is found by any query-parameter value or the last path segment of the request (so both
/contacts?phone=%2B1317... and /customers/C1 work); its stored JSON document is the answer, else the
miss answer (404 by default). Used by tests/crm/, the reliability load tests and the flow tests.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import socket
import threading
import time
import urllib.parse
import zlib
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

HOST = "127.0.0.1"


@dataclasses.dataclass(frozen=True)
class Received:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float  # time.monotonic() when the request line arrived


@dataclasses.dataclass(frozen=True)
class _Mode:
    kind: str  # healthy, slow, status, raw, trickle, hangup, flapping, first_then
    delay_s: float = 0.0
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    declare_length: bool = True
    interval_s: float = 0.0
    every: int = 1
    failure: _Mode | None = None
    then: _Mode | None = None  # first_then: the mode of every request after the first
    content_encoding: str = ""  # sent as is with a body already encoded (raw mode)


class CrmStub:
    """A stand-in CRM; a context manager. Every mode switch takes effect for the next request."""

    def __init__(
        self,
        records: Mapping[str, object] | None = None,
        *,
        miss_status: int = 404,
        miss_body: object = None,
    ):
        """records: lookup value (E.164 phone, customer id, e-mail, ...) -> JSON document to answer with.
        miss_status / miss_body: the answer when no record matches (default 404 {"error": "not found"})."""
        self.records: dict[str, object] = dict(records or {})
        self.miss_status = miss_status
        self.miss_body = {"error": "not found"} if miss_body is None else miss_body
        self.received: list[Received] = []
        self.connection_count = 0
        self.port = 0
        self._lock = threading.Lock()
        self._mode = _Mode("healthy")
        self._served = 0  # requests answered while flapping, to alternate
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._reserved: socket.socket | None = None
        self._open: set[socket.socket] = set()
        # Content-Encoding for answers to clients that accept it ("gzip" or "deflate"), as most CRMs and
        # API gateways compress; None: identity.
        self.encoding: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>, without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    def template(self, path: str = "/contacts?phone={phone}") -> str:
        """A COMPANION_CRM_URL_TEMPLATE value pointing at this stub."""
        return self.url + path

    def start(self) -> CrmStub:
        """Listen on a free port (or on the same port again after refuse())."""
        with self._lock:
            if self._server is not None:
                return self
            server = _Server((HOST, self.port), _handler_for(self), bind_and_activate=self._reserved is None)
            if self._reserved is not None:
                # Back on the port refuse() kept bound, so clients configured with the URL reach us again.
                server.socket.close()
                server.socket = self._reserved
                self._reserved = None
                server.server_activate()
            self.port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every open connection (the port is released)."""
        self._stop_listening()
        with self._lock:
            if self._reserved is not None:
                self._reserved.close()
                self._reserved = None

    def __enter__(self) -> CrmStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- modes -------------------------------------------------------------------------------------

    def healthy(self) -> None:
        """Serve the records at once (and listen again if refuse() stopped it)."""
        self._set(_Mode("healthy"))

    def slow(self, delay_ms: float) -> None:
        """Serve the records, but only after delay_ms (before the status line)."""
        self._set(_Mode("slow", delay_s=delay_ms / 1000))

    def refuse(self) -> None:
        """Connections are refused: the port stays bound but nothing listens; open connections are closed."""
        with self._lock:
            port = self.port
        self._stop_listening()
        reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Bound but not listening: Linux answers a SYN with RST, i.e. ECONNREFUSED, and no one else gets the port.
        reserved.bind((HOST, port))
        with self._lock:
            self._reserved = reserved
            self._mode = _Mode("healthy")

    def status(self, code: int, body: object = None, *, delay_ms: float = 0) -> None:
        """Answer every request with this HTTP status (500, 502, 503, ...) and a small JSON error body,
        after delay_ms."""
        body = _json({"error": f"status {code}"} if body is None else body)
        self._set(_Mode("status", status=code, body=body, delay_s=delay_ms / 1000))

    def garbage(self, text: str = "<html><body>Service Temporarily Unavailable</body></html>") -> None:
        """Answer 200 with a body that is not JSON (an HTML error page by default)."""
        self._set(_Mode("raw", body=text.encode("utf-8"), content_type="text/html; charset=utf-8"))

    def huge(self, size_bytes: int, *, declare_length: bool = True) -> None:
        """Answer 200 with a valid JSON document of about size_bytes; without Content-Length when
        declare_length is False (the body then ends when the stub closes the connection)."""
        padding = "x" * max(0, size_bytes - 40)
        self._set(_Mode("raw", body=_json({"customerId": "HUGE", "padding": padding}), declare_length=declare_length))

    def compress(self, encoding: str | None) -> None:
        """Compress answers with "gzip" or "deflate" (zlib, RFC 9110 §8.4.1.2) for clients that accept it;
        "raw-deflate" sends a deflate stream without the zlib wrapper, as some servers do; None: off."""
        self.encoding = encoding

    def encoded(self, body: bytes, encoding: str) -> None:
        """Answer 200 with these bytes as the body, labelled Content-Encoding: encoding (true or not)."""
        self._set(_Mode("raw", body=body, content_encoding=encoding))

    def gzip_bomb(self, decoded_bytes: int) -> None:
        """Answer 200, Content-Encoding: gzip, a small body that inflates to decoded_bytes of JSON padding."""
        self.encoded(gzip.compress(b'{"customerId": "BOMB", "padding": "' + b" " * decoded_bytes + b'"}', 9), "gzip")

    def wrong_shape(self, document: object) -> None:
        """Answer 200 with this JSON document whatever was asked (e.g. ["a", "b"] or 42)."""
        self._set(_Mode("raw", body=_json(document)))

    def trickle(self, interval_ms: float, body: object = None) -> None:
        """Answer 200 at once, then send the body one byte every interval_ms (a record body by default)."""
        document = {"customerId": "TRICKLE", "firstName": "Slow"} if body is None else body
        self._set(_Mode("trickle", body=_json(document), interval_s=interval_ms / 1000))

    def hangup(self) -> None:
        """Read the request, then close the connection without answering."""
        self._set(_Mode("hangup"))

    def status_then_slow(self, code: int, *, delay_ms: float, slow_ms: float) -> None:
        """The next request gets `code` after delay_ms; every later one the records, after slow_ms."""
        first = _Mode("status", status=code, body=_json({"error": f"status {code}"}), delay_s=delay_ms / 1000)
        with self._lock:
            self._served = 0
        self._set(_Mode("first_then", failure=first, then=_Mode("slow", delay_s=slow_ms / 1000)))

    def flapping(self, every: int = 1, failure_status: int = 503) -> None:
        """Alternate: `every` healthy answers, then `every` answers with failure_status, and so on."""
        failure = _Mode("status", status=failure_status, body=_json({"error": f"status {failure_status}"}))
        with self._lock:
            self._served = 0
        self._set(_Mode("flapping", every=every, failure=failure))

    # -- observation -------------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Requests received so far (whatever the answer)."""
        with self._lock:
            return len(self.received)

    def reset_counts(self) -> None:
        """Forget the requests and connections seen so far."""
        with self._lock:
            self.received.clear()
            self.connection_count = 0

    # -- internals ---------------------------------------------------------------------------------

    def _set(self, mode: _Mode) -> None:
        with self._lock:
            self._mode = mode
        # Any answering mode needs a listening socket again after refuse().
        self.start()

    def _stop_listening(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            open_sockets = list(self._open)
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(5)
        for sock in open_sockets:
            # Pooled keep-alive connections would otherwise keep being served by their handler threads.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _mode_for_request(self) -> _Mode:
        with self._lock:
            mode = self._mode
            if mode.kind == "first_then":
                self._served += 1
                return mode.failure if self._served == 1 else mode.then
            if mode.kind != "flapping":
                return mode
            self._served += 1
            in_failure = ((self._served - 1) // mode.every) % 2 == 1
            return mode.failure if in_failure else _Mode("healthy")

    def _record_for(self, path: str, query: dict[str, list[str]]) -> object | None:
        candidates = [value for values in query.values() for value in values]
        candidates.append(urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1]))
        with self._lock:
            for candidate in candidates:
                if candidate in self.records:
                    return self.records[candidate]
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Slow handlers must not hold up stop(): the test is over, nobody waits for their answers.
    block_on_close = False
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops SYNs under load tests; a retransmitted SYN costs 1 s.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # A client that gave up at its deadline makes our late write fail; that is the point of the test.
        pass


def _json(document: object) -> bytes:
    return json.dumps(document).encode("utf-8")


def _encode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    compressor = zlib.compressobj(wbits=-15)  # raw-deflate
    return compressor.compress(body) + compressor.flush()


def _handler_for(stub: CrmStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def setup(self):
            super().setup()
            with stub._lock:
                stub.connection_count += 1
                stub._open.add(self.connection)

        def finish(self):
            with stub._lock:
                stub._open.discard(self.connection)
            try:
                super().finish()
            except OSError:
                pass

        def log_message(self, format, *args):
            pass

        def do_GET(self):
            # Read (and ignore) any request body, so the next request on this keep-alive connection parses.
            length = self.headers.get("Content-Length", "")
            if length.isdigit():
                self.rfile.read(int(length))
            parts = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
            with stub._lock:
                stub.received.append(
                    Received(self.command, parts.path, query, dict(self.headers.items()), time.monotonic())
                )
            mode = stub._mode_for_request()
            if mode.kind == "hangup":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if mode.delay_s:
                time.sleep(mode.delay_s)
            if mode.kind in ("healthy", "slow"):
                record = stub._record_for(parts.path, query)
                if record is None:
                    self._send(stub.miss_status, _json(stub.miss_body))
                else:
                    self._send(200, _json(record))
            elif mode.kind == "trickle":
                self._trickle(mode)
            else:
                self._send(mode.status, mode.body, mode.content_type, mode.declare_length, mode.content_encoding)

        do_POST = do_GET

        def _send(self, status: int, body: bytes, content_type: str = "application/json", declare_length: bool = True,
                  content_encoding: str = ""):
            self.send_response(status)
            if content_encoding:
                self.send_header("Content-Encoding", content_encoding)
            elif stub.encoding and stub.encoding.replace("raw-", "") in self.headers.get("Accept-Encoding", ""):
                body = _encode(body, stub.encoding)
                self.send_header("Content-Encoding", stub.encoding.replace("raw-", ""))
            self.send_header("Content-Type", content_type)
            if declare_length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self, mode: _Mode):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(mode.body)))
            self.end_headers()
            self.wfile.flush()
            for byte in mode.body:
                time.sleep(mode.interval_s)
                self.wfile.write(bytes([byte]))
                self.wfile.flush()

    return Handler
