"""The corrected curl command doctor prints, run by bash and curl against a local server, sends what it says."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest

from architect.doctor.correction import DEFAULT_API_HOST

# Values a shell or curl could mangle: quotes, $, backticks, backslashes, a newline, non-ASCII, a leading @.
AWKWARD = {"quote": "it's \"fine\"", "shell": "$HOME `id` $(id)", "slash": "C:\\temp\\", "lines": "a\nb",
           "accent": "Zoë – 東京", "at": "@/etc/passwd", "number": 95, "flag": True}


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_PATCH(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


def test_the_printed_curl_command_sends_the_corrected_request_byte_for_byte(run_doctor, recorder):
    origin, seen = recorder
    body = json.dumps({"attributes": AWKWARD})
    code, document = run_doctor(["doctor", "--json", "--method", "PATCH", "--url",
                                 f"{DEFAULT_API_HOST}/api/v2/conversations/c1/participants/p1",
                                 "--header", "Content-Type: application/json", "--body", body])
    assert code == 1
    command = document["corrected"]["curl"].replace(DEFAULT_API_HOST, origin, 1)
    result = subprocess.run(["bash", "-c", command + " --silent --show-error --fail"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    [request] = seen
    assert request["path"] == "/api/v2/conversations/c1/participants/p1/attributes"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Bearer YOUR_ACCESS_TOKEN"
    expected = {key: value if isinstance(value, str) else json.dumps(value) for key, value in AWKWARD.items()}
    assert json.loads(request["body"].decode("utf-8")) == {"attributes": expected}
