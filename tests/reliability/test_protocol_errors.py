"""Malformed HTTP that gunicorn hands to the app: every answer is the JSON error shape, never a 500."""

import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.conftest import API_KEY

pytestmark = pytest.mark.e2e


def exchange(server, raw: bytes) -> bytes:
    """Send raw bytes, half-close, and read everything until the server closes."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


HEAD = (
    b"POST /v1/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + API_KEY.encode()
    + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"zz\r\n{}\r\n0\r\n\r\n", "Invalid chunk size"),
        (b"2\r\n{}XX0\r\n\r\n", "chunk terminator"),
        (b"2\r\n{}\r\n0\r\nBad Trailer\r\n\r\n", "Invalid HTTP Header"),
    ],
)
def test_a_malformed_chunked_body_is_one_json_400(demo_server, body, says):
    answer = exchange(demo_server, HEAD + body)
    assert answer.count(b"HTTP/1.1 ") == 1
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    error = json.loads(payload)["error"]
    assert error["code"] == "bad_request" and says in error["message"]
    assert "Traceback" not in demo_server.log_text()


def test_a_doubled_slash_is_a_json_404_whatever_the_host_header(demo_server):
    raw = (b"POST /v1//trace HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer " + API_KEY.encode()
           + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    head, _, payload = exchange(demo_server, raw).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404") and b"evil.example" not in head
    assert json.loads(payload)["error"]["code"] == "not_found"


def test_a_body_shorter_than_its_content_length_is_one_json_400_naming_both_lengths(demo_server):
    body = b'{"conversationId": "c'
    raw = (b"POST /v1/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + API_KEY.encode()
           + b"\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n" + body)
    answer = exchange(demo_server, raw)
    assert answer.count(b"HTTP/1.1 ") == 1
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    error = json.loads(payload)["error"]
    assert error["code"] == "bad_request"
    assert error["message"] == f"The request body ended after {len(body)} of the 60 bytes its Content-Length announced."
    assert "Traceback" not in demo_server.log_text()
