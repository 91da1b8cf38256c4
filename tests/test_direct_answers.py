"""service.direct_answers: POST /v1/trace and /v1/context answered without Flask's request machinery.

Every test runs one request twice through the same app: through the served WSGI stack (request timing, then
the direct answers, then Flask) and through Flask alone (request timing, then Flask). The two must agree on
everything a caller or an operator sees: status, headers and body bytes, the access line, the request
histogram. Other tests show that the direct path really answers (no Flask request context is made) and
that it hands every request to Flask once anything else is registered around the views.
"""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from flask import request_started
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app

from service import metrics
from service.api import trace as trace_view
from service.crm.base import Lookup
from service.direct_answers import DirectAnswers
from service.logs import ACCESS_LOGGER
from service.request_timing import RequestTiming
from tests.conftest import API_KEY
from tests.conftest import OTHER_KEY
from tests.log_capture import service_handler_alone

KNOWN_PHONE = "+13175550116"  # in the demo CRM


def _take(buffer: io.StringIO) -> list[dict]:
    """The JSON lines written to buffer since the last take."""
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    buffer.seek(0)
    buffer.truncate()
    return lines


def _histogram_counts() -> dict:
    return {tuple(sorted(sample.labels.items())): sample.value
            for family in metrics.REQUEST_DURATION.collect() for sample in family.samples
            if sample.name.endswith("_count")}


def _comparable(line: dict) -> dict:
    # The clock and the measured time differ between two runs, and a traceback's frames between the two paths;
    # everything else must not, the exception a traceback ends with included.
    same = {key: value for key, value in line.items() if key not in ("time", "duration_ms")}
    if "exc_info" in same:
        same["exc_info"] = same["exc_info"].splitlines()[-1]
    return same


class TwoPaths:
    """One app, called through the served stack and through Flask alone, with a count of what Flask answered."""

    def __init__(self, app):
        self.app = app
        self.served = app.wsgi_app
        assert isinstance(self.served, RequestTiming) and isinstance(self.served.wsgi_app, DirectAnswers)
        self.direct = self.served.wsgi_app
        self.flask_alone = RequestTiming(self.direct.flask, metrics.IN_FLIGHT)
        self.handed_on = 0
        flask = self.direct.flask

        def counted(environ, start_response):
            self.handed_on += 1
            return flask(environ, start_response)

        self.direct.flask = counted

    def call(self, wsgi, environ: dict):
        body_iter, status, headers = run_wsgi_app(wsgi, environ)
        try:
            body = b"".join(body_iter)
        finally:
            getattr(body_iter, "close", lambda: None)()
        return status, list(headers.items()), body

    def both(self, make_environ) -> tuple[tuple, tuple, bool]:
        """(served answer, access lines, histogram change) and the same through Flask alone; and whether the
        served one was answered directly."""
        results = []
        handed_on = None
        with service_handler_alone() as buffer:
            for wsgi in (self.served, self.flask_alone):
                before = _histogram_counts()
                before_handed = self.handed_on
                answer = self.call(wsgi, make_environ())
                after = _histogram_counts()
                changed = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
                results.append((answer, [_comparable(line) for line in _take(buffer)], changed))
                if handed_on is None:
                    handed_on = self.handed_on > before_handed
        return results[0], results[1], not handed_on


@pytest.fixture
def paths(app):
    return TwoPaths(app)


def _environ(path="/v1/context", *, body: bytes | None = b"", method="POST", headers=None,
             content_type: str | None = "application/json", content_length: str | None = None) -> dict:
    environ = EnvironBuilder(path=path, method=method, data=body, headers=headers or {}).get_environ()
    environ.pop("CONTENT_TYPE", None)
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    return environ


def _bearer(key=API_KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _context(phone=KNOWN_PHONE, **extra) -> bytes:
    return json.dumps({"conversationId": "conv-1", "participantId": "p-1", "phone": phone, **extra}).encode()


@pytest.mark.parametrize("path, body", [
    ("/v1/trace", b'{"conversationId": "conv-1", "participantId": "p-1"}'),
    ("/v1/customer", b'{"phone": "+13175550116"}'),
    ("/v1/customer", b'{"email": "nobody@example.com"}'),
    ("/v1/context", _context()),
    ("/v1/context", _context(phone="+13125550299")),  # not in the CRM: a miss
    ("/v1/context", _context(phone="anonymous")),  # an unusable ANI: trace ids only
])
def test_a_well_formed_request_is_answered_without_a_flask_request_context(app, paths, path, body, monkeypatch):
    def no_context(*_args, **_kwargs):
        raise AssertionError("Flask built a request context for a request the direct path answers")

    monkeypatch.setattr(app, "request_context", no_context)
    with service_handler_alone() as buffer:
        status, _headers, answer = paths.call(paths.served, _environ(path, body=body, headers=_bearer()))
        lines = _take(buffer)
    assert status == "200 OK", answer
    assert "traceId" in json.loads(answer) or "found" in json.loads(answer)
    assert [(line["path"], line["status"]) for line in lines] == [(path, 200)]
    assert paths.handed_on == 0


@pytest.mark.parametrize("path, body", [
    ("/v1/trace", b'{"conversationId": "conv-1", "participantId": "p-1"}'),
    ("/v1/customer", b'{"phone": "tel:+13175550116"}'),
    ("/v1/context", _context()),
])
def test_a_direct_answer_is_what_flask_sends(paths, path, body):
    # Compared whole: status, the header list in order, the body's bytes, the access line, the histogram.
    served, flask, direct = paths.both(lambda: _environ(path, body=body, headers={
        **_bearer(), "ININ-Correlation-Id": "5b1e3f2a-0000-4000-8000-000000000001"}))
    assert direct
    assert served == flask
    (answer, lines, histogram) = served
    assert answer[1] == [("Content-Type", "application/json"), ("Content-Length", str(len(answer[2])))]
    assert lines[0]["ininCorrelationId"] == "5b1e3f2a-0000-4000-8000-000000000001"
    assert list(histogram.values()) == [1.0]


_PATHS = st.sampled_from(["/v1/context", "/v1/trace", "/v1/customer", "/v1/context/", "/v1/trace/x", "/v1//trace",
                          "/healthz", "/v1/openapi.json"])
_AUTH = st.sampled_from([
    _bearer(), _bearer(OTHER_KEY), _bearer("wrong-key-0123456789"), {}, {"X-API-Key": API_KEY},
    {"X-API-Key": API_KEY, "Authorization": f"Bearer {OTHER_KEY}"}, {"Authorization": "Basic Z2VuZXN5czp0ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGVm"},
    {"Authorization": f"bearer  {API_KEY}\t"},
])
_CONTENT_TYPES = st.sampled_from([
    "application/json", "application/json; charset=UTF-8", "Application/JSON", "text/plain", None, "",
    "application/vnd.genesys+json", "multipart/form-data; boundary=x",
])
_PHONES = st.sampled_from([KNOWN_PHONE, "tel:+13175550116", "sip:+13175550116@10.0.0.1;user=phone", "3175550116",
                           "+13125550299", "anonymous", "", "+1 (317) 555-0116", "12"])
_VALUES = st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans(), st.lists(st.integers(), max_size=2))
_GOOD_BODIES = st.builds(
    lambda conv, part, phone, extra: json.dumps({"conversationId": conv, "participantId": part, "phone": phone,
                                                 **extra}).encode(),
    st.one_of(st.just("conv-1"), st.text(min_size=1, max_size=20)), st.just("p-1") | st.text(max_size=8),
    _PHONES, st.dictionaries(st.sampled_from(["customerId", "email", "accountNumber", "extra", "phone"]), _VALUES,
                             max_size=2),
)
_BAD_BODIES = st.sampled_from([
    b"", b"   ", b"[]", b"null", b'{"conversationId": ', b"\xff\xfe{}", "\ufeff{\"conversationId\": \"c\"}".encode(),
    b'{"conversationId": "\\ud800"}', b'{"participantId": "p"}', b'{"conversationId": 12}',
    b'{"conversationId": "c", "phone": "+13175550116"}', b'[' * 60 + b']' * 60,
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_PATHS, method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]), auth=_AUTH,
       content_type=_CONTENT_TYPES, body=st.one_of(_GOOD_BODIES, _BAD_BODIES),
       length=st.sampled_from([None, None, "0", "+5", "999", "abc", "-1"]))
def test_any_request_gets_the_same_answer_as_from_flask_alone(paths, path, method, auth, content_type, body, length):
    served, flask, _direct = paths.both(lambda: _environ(path, body=body, method=method, headers=auth,
                                                         content_type=content_type, content_length=length))
    assert served == flask


def test_a_body_shorter_than_its_length_gets_flasks_400(paths):
    served, flask, direct = paths.both(lambda: _environ(body=_context(), headers=_bearer(), content_length="900"))
    assert not direct
    assert served == flask
    assert served[0][0] == "400 BAD REQUEST" and b"ended after" in served[0][2]


def test_a_body_over_the_limit_gets_flasks_413(app, paths):
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = json.dumps({"conversationId": "c", "participantId": "p", "pad": "x" * limit}).encode()
    served, flask, direct = paths.both(lambda: _environ(body=big, headers=_bearer()))
    assert not direct and served == flask and served[0][0].startswith("413")


def test_a_body_read_that_fails_fails_as_under_flask(paths):
    class Broken(io.RawIOBase):
        def read(self, *_args):
            raise ConnectionResetError("peer went away")

    def environ():
        built = _environ(body=_context(), headers=_bearer())
        built["wsgi.input"] = Broken()
        return built

    served, flask, direct = paths.both(environ)
    assert not direct
    assert served == flask
    assert served[0][0].startswith("500") and json.loads(served[0][2])["error"]["code"] == "internal_error"


class _DegradedCRM:
    name = "stub"

    def lookup(self, keys):
        return Lookup(None, "stub", degraded=True, outcome="timeout", reason="CRM timed out after 1500 ms")


def test_a_degraded_answer_configured_as_503_is_flasks_503_with_the_lookup_noted(app, paths):
    app.extensions["companion.crm"] = _DegradedCRM()
    app.extensions["companion.settings"] = dataclasses.replace(app.extensions["companion.settings"],
                                                               degraded_as_503=True)
    served, flask, direct = paths.both(lambda: _environ(body=_context(), headers=_bearer()))
    assert direct  # the view ran in the direct path; Flask's handlers wrote the error
    assert served == flask
    (status, _headers, body), lines, histogram = served
    assert status == "503 SERVICE UNAVAILABLE" and json.loads(body)["error"]["code"] == "unavailable"
    assert lines[0]["crm.outcome"] == "timeout" and lines[0]["crm.degraded"] is True
    assert list(histogram) == [(("endpoint", "/v1/context"), ("status_class", "5xx"))]


def test_an_unexpected_error_in_the_view_is_flasks_500_and_its_log_line(paths, monkeypatch):
    def broken(*_args):
        raise RuntimeError("derivation failed")

    monkeypatch.setattr(trace_view, "derive_trace_context", broken)
    served, flask, direct = paths.both(lambda: _environ(body=_context(), headers=_bearer()))
    assert direct
    assert served == flask
    (status, _headers, _body), lines, _ = served
    assert status == "500 INTERNAL SERVER ERROR"
    error, access = lines
    assert (error["logger"], error["message"], error["error_type"], error["exc_info"]) == (
        "companion.errors", "unhandled error", "RuntimeError", "RuntimeError: derivation failed")
    assert access["logger"] == ACCESS_LOGGER and access["status"] == 500


class _HugeNumberCRM:
    name = "stub"

    def lookup(self, keys):
        return Lookup({"customerId": "C-1", "openCases": 2 ** 70}, "stub")


def test_an_unusable_phone_on_v1_customer_is_flasks_400_with_the_masked_number(paths):
    served, flask, direct = paths.both(lambda: _environ("/v1/customer", body=b'{"phone": "+1317555011"}',
                                                        headers=_bearer()))
    assert direct and served == flask
    (status, _headers, body), lines, _ = served
    assert status == "400 BAD REQUEST" and "phone" in json.loads(body)["error"]["fields"]
    assert lines[0]["crm.phone"].endswith("5011") and "317555" not in lines[0]["crm.phone"]


def test_a_value_only_flasks_encoder_writes_is_written_by_it(app, paths):
    app.extensions["companion.crm"] = _HugeNumberCRM()
    served, flask, direct = paths.both(lambda: _environ(body=_context(), headers=_bearer()))
    assert direct and served == flask
    assert b'"openCases":1180591620717411303424' in served[0][2]


def test_a_hook_added_after_create_app_makes_flask_answer_so_it_runs(app, paths):
    seen = []

    @app.before_request
    def _note():
        seen.append(1)

    served, flask, direct = paths.both(lambda: _environ(body=_context(), headers=_bearer()))
    assert not direct and seen == [1, 1]
    assert served == flask


def test_a_request_signal_receiver_makes_flask_answer_so_it_hears_every_request(paths):
    heard = []

    def _receiver(sender, **_extra):
        heard.append(sender)

    request_started.connect(_receiver)
    try:
        _served, _flask, direct = paths.both(lambda: _environ(body=_context(), headers=_bearer()))
    finally:
        request_started.disconnect(_receiver)
    assert not direct and len(heard) == 2
    assert paths.both(lambda: _environ(body=_context(), headers=_bearer()))[2]  # disconnected: direct again
