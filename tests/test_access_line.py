"""The access line written straight to the service's log stream: the same JSON line the formatter makes."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import logging
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pythonjsonlogger.json import JsonEncoder

from service.logs import ACCESS_LOGGER
from service.logs import json_formatter
from service.logs import json_line
from tests.conftest import API_KEY
from tests.log_capture import service_handler_alone

AUTH = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
HEAD = ("time", "level", "logger", "message")


@pytest.fixture
def records_made():
    """Every LogRecord created while the test runs."""
    made = []
    factory = logging.getLogRecordFactory()

    def counting(*args, **kwargs):
        record = factory(*args, **kwargs)
        made.append(record)
        return record

    logging.setLogRecordFactory(counting)
    yield made
    logging.setLogRecordFactory(factory)


def _access_lines(buffer: io.StringIO) -> list[str]:
    return [line for line in buffer.getvalue().splitlines() if f'"logger":"{ACCESS_LOGGER}"' in line]


@pytest.mark.parametrize("path, body", [
    ("/v1/context", {"conversationId": "c-é-1", "phone": "+1 (317) 555-0116", "participantId": "p"}),
    ("/v1/customer", {"phone": "not a phone"}),
    ("/v1/trace", {"conversationId": ""}),
])
def test_the_line_is_the_one_the_json_formatter_makes(client, path, body):
    with service_handler_alone() as log_stream:
        client.post(path, json=body, headers={**AUTH, "ININ-Correlation-Id": "corr-\u00e9"})
    (line,) = _access_lines(log_stream)
    parsed = json.loads(line)
    assert tuple(parsed)[:4] == HEAD and parsed["level"] == "INFO" and parsed["message"] == "request"
    extra = {key: value for key, value in parsed.items() if key not in HEAD}
    record = logging.getLogger(ACCESS_LOGGER).makeRecord(ACCESS_LOGGER, logging.INFO, "", 0, "request", (), None,
                                                          extra=extra)
    formatted = json_formatter().format(record)
    # The second may have ticked between the two.
    assert line == formatted.replace(json.loads(formatted)["time"], parsed["time"], 1)


def test_the_line_costs_no_log_record(client, records_made):
    with service_handler_alone() as log_stream:
        client.post("/v1/trace", json={"conversationId": "c-1"}, headers=AUTH)
    assert len(_access_lines(log_stream)) == 1
    assert [record for record in records_made if record.name == ACCESS_LOGGER] == []


def test_another_handler_still_gets_a_record_and_the_stream_its_line(client):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    try:
        with service_handler_alone() as log_stream:
            client.post("/v1/trace", json={"conversationId": "c-2"}, headers=AUTH)
    finally:
        logger.removeHandler(handler)
    assert records[-1].conversationId == "c-2" and records[-1].status == 200
    assert json.loads(_access_lines(log_stream)[-1])["conversationId"] == "c-2"


def test_a_disabled_access_logger_writes_nothing(client):
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.disabled = True
    try:
        with service_handler_alone() as log_stream:
            client.post("/v1/trace", json={"conversationId": "c-3"}, headers=AUTH)
    finally:
        logger.disabled = False
    assert _access_lines(log_stream) == []


# --- json_line: every log line's JSON -------------------------------------------------------------------

_log_values = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=30),
                        st.floats(allow_nan=False, allow_infinity=False, width=32))


@given(st.dictionaries(st.text(max_size=12), _log_values, max_size=15))
def test_a_log_line_is_compact_ascii_json_of_the_same_values(data):
    line = json_line(data, default=str)
    assert line.isascii() and "\n" not in line
    assert json.loads(line) == data
    if all(isinstance(v, (str, int, bool, type(None))) for v in data.values()):
        # What the json module writes with compact separators, byte for byte.
        assert line == json.dumps(data, separators=(",", ":"))


def test_text_outside_ascii_and_wide_integers_are_written_as_the_json_module_writes_them():
    data = {"conversationId": "c-é-📞", "big": 2**70}
    assert json_line(data) == json.dumps(data, separators=(",", ":"))
    assert "\\u00e9" in json_line(data)


def test_values_orjson_leaves_alone_go_to_the_formatters_encoder():
    when = datetime.datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=datetime.timezone.utc)
    data = {"at": when, "path": pathlib.Path("/tmp/x")}
    assert json.loads(json_line(data, cls=JsonEncoder)) == {"at": when.isoformat(), "path": "/tmp/x"}
