"""API keys: one key per request however many headers carry it, printable ASCII only, never printed."""

from __future__ import annotations

import pytest

from service.config import ConfigError
from service.config import load_settings
from tests.conftest import API_KEY
from tests.conftest import OTHER_KEY
from tests.conftest import TRACE_SECRET
from tests.conftest import basic_auth
from tests.servers import GunicornServer

BODY = '{"conversationId": "c-1"}'
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "wrong-key-0123456789abcdef", "Authorization": f"Bearer {API_KEY}"},
        {"X-API-Key": API_KEY, "Authorization": "Bearer wrong-key-0123456789abcdef"},
        {"X-API-Key": API_KEY, "Authorization": f"Bearer {OTHER_KEY}"},  # two valid keys: which one is meant?
        {"X-API-Key": "wrong-key-0123456789abcdef", **basic_auth("genesys", API_KEY)},
    ],
)
def test_a_request_with_two_different_keys_is_refused(client, headers):
    assert client.post("/v1/trace", data=BODY, headers={**JSON, **headers}).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": API_KEY, "Authorization": f"Bearer {API_KEY}"},
        {"X-API-Key": API_KEY, **basic_auth("genesys", API_KEY)},
        {"X-API-Key": f" \t{API_KEY}\t "},
    ],
)
def test_the_same_key_in_both_headers_or_with_spaces_around_it_is_accepted(client, headers):
    assert client.post("/v1/trace", data=BODY, headers={**JSON, **headers}).status_code == 200


@pytest.mark.parametrize("padding", ["\u00a0", "\u0085"])
def test_a_presented_key_with_unicode_whitespace_around_it_is_not_the_key(client, padding):
    headers = {**JSON, "X-API-Key": f"{API_KEY}{padding}".encode("latin-1").decode("latin-1")}
    assert client.post("/v1/trace", data=BODY, headers=headers).status_code == 401


def _load(keys: str):
    return load_settings({"COMPANION_API_KEYS": keys, "COMPANION_TRACE_SECRET": TRACE_SECRET})


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ("schlüssel-0123456789abcdef", "key 1 contains U+00FC at character 5"),
        (f"{API_KEY},\u00a0{OTHER_KEY}", "key 2 contains U+00A0 at character 1"),
        (f"{API_KEY}\u0085", "key 1 contains U+0085 at character 26"),
        ("key with spaces inside-0123", "key 1 contains U+0020 at character 4"),
    ],
)
def test_keys_outside_printable_ascii_stop_start_up_without_showing_the_key(keys, problem):
    with pytest.raises(ConfigError) as error:
        _load(keys)
    message = str(error.value)
    assert message == f"COMPANION_API_KEYS: {problem}; keys must be printable ASCII without spaces"
    assert "schlüssel" not in message and API_KEY not in message and OTHER_KEY not in message


def test_spaces_and_tabs_around_configured_keys_are_trimmed():
    assert _load(f" {API_KEY}\t, {OTHER_KEY} ").api_keys == (API_KEY, OTHER_KEY)


@pytest.mark.e2e
def test_demo_mode_never_prints_a_configured_key(demo_db):
    env = {"COMPANION_DEMO": "1", "COMPANION_API_KEYS": API_KEY, "COMPANION_SQLITE_PATH": str(demo_db),
           "COMPANION_WORKERS": "1"}
    with GunicornServer(env) as server:
        log = server.log_text()
    assert "is listening on" in log and "API key: the one in COMPANION_API_KEYS" in log
    assert API_KEY not in log
