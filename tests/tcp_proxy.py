"""A TCP proxy on 127.0.0.1 in front of a real server, to make it unreachable or hung on demand.

refuse(): close the listener and every connection (clients see the server go away, new connections are
refused); hang(): keep connections open but stop passing bytes either way (a network black hole or a
stopped server, where no timeout of the server's own can fire); resume(): back to normal, same port.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> to (host, port); a context manager."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._stopped = False

    def start(self) -> TcpProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by refuse() or stop()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while not self._stopped:
                if not self._flowing.wait(0.05):
                    continue  # hung: bytes wait in the kernel buffers
                readable, _, _ = select.select([a, b], [], [], 0.05)
                if not self._flowing.is_set():
                    continue
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()

    def _close_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
            listener, self._listener = self._listener, None
        for sock in ([listener] if listener else []) + connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def refuse(self) -> None:
        """The server is gone: every connection is cut and new ones are refused."""
        self._close_all()

    def hang(self) -> None:
        """Connections stay up, but nothing passes (new connections are accepted and hang too)."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward again (listening again on the same port after refuse())."""
        self._flowing.set()
        if self._listener is None:
            self._listen()

    def stop(self) -> None:
        self._stopped = True
        self._flowing.set()
        self._close_all()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
