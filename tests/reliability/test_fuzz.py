"""Hypothesis fuzzing of every POST endpoint in the URL map: never a 5xx, always the contract or the JSON error.

The endpoints come from the app's URL map and their contracts from the schemas attached to the views
(service.api.docs.documented), so a new endpoint is fuzzed without editing this file.
Derandomized, no example database: the same examples on every run, so CI is stable.
"""

import json
import re
import time
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.servers import GunicornServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}
# Per endpoint. Slow CI machines: no deadline per example (the 2-core box also runs gunicorn and other suites).
JSON_EXAMPLES, RAW_EXAMPLES = 100, 30
HTTP_JSON_EXAMPLES, HTTP_RAW_EXAMPLES = 30, 10
FUZZ = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    # Sizes around the schema limits (256 characters) and the body limit (16 KiB), multi-byte too.
    | st.builds(lambda char, n: char * n, st.sampled_from(["x", "é", "\U0001f4de", "\x00", "\u202e"]), st.integers(0, 20_000))
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def contract_bodies(keys: list[str]):
    """Objects using the endpoint's own input keys (any subset, any values) plus random extra keys."""
    # Plausible strings twice as often as anything else, so a good share of examples get past validation.
    value = st.text(min_size=1, max_size=80) | st.text(min_size=1, max_size=80) | st.text(max_size=300) | json_values
    known = st.fixed_dictionaries({}, optional={key: value for key in keys})
    extra = st.dictionaries(st.text(max_size=12), json_values, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, extra)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


raw_bodies = (
    st.binary(max_size=3000)
    | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.integers(1, 3000).map(lambda d: nested(d).encode())
    | st.sampled_from([b"", b"null", b"[]", b"\xef\xbb\xbf{}", b'{"a":1}{"b":2}', b"\xff\xfe{\x00}\x00", b"{" * 5000])
)


def field_keys(schema_class, *, dumping: bool) -> list[str]:
    """The JSON keys of a schema: what it dumps (responses) or loads (requests)."""
    fields = schema_class().fields.items()
    return [f.data_key or name for name, f in fields if not (f.load_only if dumping else f.dump_only)]


def post_endpoints(app) -> list[tuple[str, list[str], list[str]]]:
    """(path, input keys, output keys) for every POST route in the URL map."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods:
            continue
        doc = getattr(app.view_functions[rule.endpoint], "api_doc", None)
        assert doc is not None, f"POST {rule.rule} has no @documented request/response schemas"
        found.append((rule.rule, field_keys(doc["request"], dumping=False), field_keys(doc["response"], dumping=True)))
    return found


def check_answer(path: str, status: int, content_type: str, body: bytes, output_keys: list[str]) -> None:
    """A 200 with exactly the contract keys and contract types, or a 4xx in the one JSON error shape."""
    where = f"POST {path} answered {status}: {body[:300]!r}"
    assert content_type.startswith("application/json"), where
    document = json.loads(body)
    if status == 200:
        assert sorted(document) == sorted(output_keys), where
        # Types Architect can bind: no null, no float, no nested values (DESIGN.md section 4).
        assert all(type(v) in (str, int, bool) for v in document.values()), where
        return
    assert 400 <= status < 500, where
    assert list(document) == ["error"], where
    error = document["error"]
    assert set(error) <= {"code", "message", "fields"} and {"code", "message"} <= set(error), where
    assert re.fullmatch(r"[a-z_]+", error["code"]) and isinstance(error["message"], str) and error["message"], where
    fields = error.get("fields", {})
    assert isinstance(fields, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v) for k, v in fields.items()
    ), where
    assert "Traceback" not in body.decode("utf-8", "replace"), where


def test_every_post_endpoint_survives_generated_json_and_raw_bytes(app):
    endpoints = post_endpoints(app)
    assert "/v1/trace" in [path for path, _, _ in endpoints]
    client = app.test_client()
    for path, input_keys, output_keys in endpoints:

        def send(data: bytes, content_type: str = "application/json") -> None:
            response = client.post(path, data=data, headers={**AUTH, "Content-Type": content_type})
            check_answer(path, response.status_code, response.content_type, response.get_data(), output_keys)

        @settings(max_examples=JSON_EXAMPLES, **FUZZ)
        @given(body=contract_bodies(input_keys) | json_values)
        def generated_json(body):
            send(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))

        @settings(max_examples=RAW_EXAMPLES, **FUZZ)
        @given(data=raw_bodies, content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
        def raw_bytes(data, content_type):
            send(data, content_type)

        generated_json()
        raw_bytes()


@pytest.fixture(scope="module")
def server(demo_db):
    env = {
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_db),
        "COMPANION_WORKERS": "2",
        "COMPANION_THREADS": "4",
    }
    with GunicornServer(env) as running:
        yield running


def worker_pids(server: GunicornServer) -> set[int]:
    pid = server.process.pid
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.mark.e2e
def test_fuzzing_over_gunicorn_neither_fails_nor_restarts_a_worker(server, app):
    # gunicorn answers as soon as one worker is up; wait for both before taking the roll call.
    deadline = time.monotonic() + 15
    while len(workers := worker_pids(server)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers) == 2
    session = requests.Session()
    for path, input_keys, output_keys in post_endpoints(app):

        def send(data: bytes) -> None:
            response = session.post(
                f"{server.url}{path}", data=data, headers={**AUTH, "Content-Type": "application/json"}, timeout=10
            )
            check_answer(path, response.status_code, response.headers["Content-Type"], response.content, output_keys)

        @settings(max_examples=HTTP_JSON_EXAMPLES, **FUZZ)
        @given(body=contract_bodies(input_keys) | json_values)
        def generated_json(body):
            send(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))

        @settings(max_examples=HTTP_RAW_EXAMPLES, **FUZZ)
        @given(data=raw_bodies)
        def raw_bytes(data):
            send(data)

        generated_json()
        raw_bytes()
    session.close()
    assert requests.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}
    assert worker_pids(server) == workers
    log = server.log_text()
    assert "unhandled error" not in log and "WORKER TIMEOUT" not in log and "Worker exiting" not in log
