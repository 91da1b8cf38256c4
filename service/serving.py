"""The start-up banner printed by the gunicorn master once it listens."""

from __future__ import annotations

import sys


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
    settings = server.app.wsgi().extensions.get("companion.settings")
    urls = listening_urls(server)
    lines = [f"architect-companion is listening on {', '.join(urls)}"]
    if settings is not None and settings.demo and urls:
        key = settings.api_keys[0]
        lines += [
            f"API key: {key}",
            "Try it:",
            f"  curl -s -X POST {urls[0]}/v1/trace -H 'Authorization: Bearer {key}' "
            "-H 'Content-Type: application/json' -d '{\"conversationId\": \"demo-call-1\"}'",
        ]
    print("\n".join(lines), file=sys.stderr, flush=True)
