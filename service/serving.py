"""What gunicorn itself says: the start-up banner, and errors for requests that never reach the app."""

from __future__ import annotations

import json
import sys

from gunicorn import util

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
    """Print where the service listens and, in demo mode, the key to call it with."""
    # Another WSGI app under this config (bench/'s baseline) has no settings: print the URL only.
    extensions = server.app.wsgi().extensions
    settings = extensions.get("companion.settings")
    urls = listening_urls(server)
    lines = [f"architect-companion is listening on {', '.join(urls)}"]
    if settings is not None and settings.demo and urls:
        # A key from COMPANION_API_KEYS is never printed; a generated one is the only way in otherwise.
        generated = extensions.get("companion.generated_key")
        key = generated or "<a key from COMPANION_API_KEYS>"
        lines += [
            f"API key: {generated}" if generated else "API key: one of COMPANION_API_KEYS (not shown)",
            "Try it:",
            f"  curl -s -X POST {urls[0]}/v1/trace -H 'Authorization: Bearer {key}' "
            "-H 'Content-Type: application/json' -d '{\"conversationId\": \"demo-call-1\"}'",
        ]
    print("\n".join(lines), file=sys.stderr, flush=True)


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
