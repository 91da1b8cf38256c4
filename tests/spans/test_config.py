"""Tracing is configured by OpenTelemetry's standard OTEL_* variables: when it is on, and every bad value named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.config import ConfigError
from service.config import load_settings
from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.servers import ROOT

BASE = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET}


def endpoint(**otel: str) -> str:
    return load_settings({**BASE, **otel}).otlp_traces_endpoint


def test_nothing_configured_means_tracing_off():
    assert endpoint() == ""


def test_base_endpoint_gets_the_traces_path_as_the_sdk_appends_it():
    assert endpoint(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/") == "http://collector:4318/v1/traces"


def test_traces_endpoint_is_used_as_given_and_wins_over_the_base():
    assert endpoint(OTEL_EXPORTER_OTLP_ENDPOINT="http://a:4318",
                    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="https://b.example.com/otlp/traces") \
        == "https://b.example.com/otlp/traces"


@pytest.mark.parametrize("off", [{"OTEL_SDK_DISABLED": "true"}, {"OTEL_TRACES_EXPORTER": "none"}])
def test_sdk_disabled_or_exporter_none_turns_tracing_off(off):
    assert endpoint(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318", **off) == ""


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "must be an http:// or https:// URL"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "'grpc' is not supported; use http/protobuf"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json", "'http/json' is not supported"),
        ("OTEL_TRACES_EXPORTER", "zipkin", "'zipkin' is not supported; use otlp"),
        ("OTEL_TRACES_SAMPLER", "ratio", "'ratio' is not one of always_on"),
        ("OTEL_TRACES_SAMPLER_ARG", "half", "must be a number from 0 to 1"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "positive number of seconds"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "0", "positive whole number"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096", "must not exceed OTEL_BSP_MAX_QUEUE_SIZE"),
    ],
)
def test_bad_otel_value_stops_start_up_naming_the_variable(variable, value, message):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_SAMPLER": "traceidratio",
           variable: value}
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, **env})
    assert f"{variable}: " in str(caught.value) and message in str(caught.value)


def test_bad_otel_values_are_ignored_while_tracing_is_off():
    assert endpoint(OTEL_EXPORTER_OTLP_PROTOCOL="grpc") == ""


def _modules_after_create_app(db, **otel: str) -> set[str]:
    env = {**BASE, "COMPANION_SQLITE_PATH": str(db), **otel}
    code = (
        "import sys; from service import create_app; from service.config import load_settings; "
        f"create_app(load_settings({env!r})); "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('opentelemetry'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_tracing_off_loads_no_opentelemetry_module(demo_db):
    assert _modules_after_create_app(demo_db) == set()
    assert "opentelemetry.sdk.trace" in _modules_after_create_app(demo_db, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")


def test_tracing_off_registers_no_per_request_hook(app):
    assert "companion.spans" not in app.extensions
    hooks = [f for funcs in (*app.before_request_funcs.values(), *app.after_request_funcs.values()) for f in funcs]
    assert not [f for f in hooks if f.__module__ == "service.spans"]


def test_companion_serve_lists_otel_problems_with_the_others_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPANION_", "OTEL_"))}
    env.update({"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_LOG_LEVEL": "LOUD",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    done = subprocess.run([str(Path(sys.executable).parent / "companion"), "serve", "--port", "0"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' is not supported" in done.stderr
    assert "COMPANION_LOG_LEVEL:" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("otel", "expected"), [
    ({}, 64),
    ({"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512"}, 512),
    ({"OTEL_BSP_MAX_QUEUE_SIZE": "16"}, 16),
])
def test_export_batches_default_to_64_spans_unless_set(otel, expected):
    # Encoding a batch holds a gevent worker's event loop; the SDK's 512 would hold it eight times as long.
    assert load_settings({**BASE, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", **otel}).otlp_batch_size \
        == expected
