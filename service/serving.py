"""What gunicorn itself says: the start-up banner, its log (without an access line), and errors for requests
that never reach the app."""

from __future__ import annotations

import json
import logging
import sys

from gunicorn import util
from gunicorn.glogging import Logger

from service.errors import error_code

_MAX_DETAIL = 200


def listening_urls(server) -> list[str]:
    """http://host:port for every socket gunicorn bound (the real port, also when asked for port 0)."""
    urls = []
    for listener in server.LISTENERS:
        address = listener.sock.getsockname()
        if isinstance(address, tuple):
            host = address[0]
            urls.append(f"http://[{host}]:{address[1]}" if ":" in host else f"http://{host}:{address[1]}")
        else:
            urls.append(f"unix:{address}")
    return urls


def when_ready(server) -> None:
    """Say where the service listens: a JSON log line in production; in demo mode, a banner for a person with
    the key to call it with (only a generated one: a key from COMPANION_API_KEYS is never printed)."""
    # Another WSGI app under this config (bench/'s baseline) has no settings: print the URL only.
    extensions = getattr(server.app.wsgi(), "extensions", {})
    settings = extensions.get("companion.settings")
    urls = listening_urls(server)
    if settings is not None and not settings.demo:
        logging.getLogger("companion.serving").info(f"architect-companion is listening on {', '.join(urls)}",
                                                    extra={"urls": urls})
        return
    lines = [f"architect-companion is listening on {', '.join(urls)}"]
    if settings is not None and urls:
        key = extensions.get("companion.generated_key")
        if key:
            lines += [f"API key (new at every start): {key}", "Copy into your shell, then try the README's curl:",
                      f"  export KEY={key}"]
        else:
            lines += ["API key: the one in COMPANION_API_KEYS", "Copy into your shell:", "  export KEY=<your key>"]
        lines += [
            f"  curl -s -X POST {urls[0]}/v1/trace -H \"Authorization: Bearer $KEY\" "
            "-H 'Content-Type: application/json' -d '{\"conversationId\": \"demo-call-1\"}'",
        ]
    print("\n".join(lines), file=sys.stderr, flush=True)


class AppAccessLineLogger(Logger):
    """gunicorn's logger with its access line left to the app, which writes its own JSON one per request.

    With a logging config (logconfig_dict, for JSON lines) gunicorn builds an access record for every
    request even when no handler writes it: about a tenth of a worker's time under load, for nothing.
    """

    def access(self, resp, req, environ, request_time):
        """Nothing: service.logs writes the access line."""


def write_json_error(sock, status: int, reason: str, detail: str) -> None:
    """gunicorn's answer to a request it cannot parse (414 URI too long, 431, 400 bad request line...), in
    the service's JSON error shape instead of gunicorn's HTML page (installed by service/gunicorn_conf.py)."""
    detail = detail if len(detail) <= _MAX_DETAIL else detail[:_MAX_DETAIL] + "..."
    message = f"{reason}: {detail}" if detail else f"{reason}."
    body = json.dumps({"error": {"code": error_code(status), "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)
