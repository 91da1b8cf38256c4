"""Fixtures and helpers for the HTTP backend tests: a CRM stub, settings pointing at it, a log capture."""

from __future__ import annotations

import logging

import pytest

from service.config import load_settings
from service.crm.http import HttpBackend
from tests.crm_stub import CrmStub
from tests.run_delay import timing

ANN_PHONE = "+13175550116"
ANN = {
    "customerId": "C-1001",
    "firstName": "Ann",
    "lastName": "Lee",
    "email": "ann.lee@example.com",
    "phone": ANN_PHONE,
    "accountNumber": "AC-77",
    "tier": "gold",
    "segment": "retail",
    "preferredLanguage": "en-US",
    "priority": 70,
    "vip": True,
    "openCases": 2,
    "lastContactAt": "2024-05-01T10:00:00Z",
}
# Short budgets keep timeout tests fast; the rules are the same at 1.5 s.
DEADLINE_MS = 300
SLACK_S = 0.05


def backend_env(crm: CrmStub, **overrides: str) -> dict[str, str]:
    """COMPANION_* variables for the http backend against this stub (keys without the prefix override)."""
    env = {
        "COMPANION_API_KEYS": "test-key-0123456789abcdef",
        "COMPANION_TRACE_SECRET": "test-trace-secret-0123456789",
        "COMPANION_CRM_BACKEND": "http",
        "COMPANION_CRM_URL_TEMPLATE": crm.template(),
        "COMPANION_CRM_DEADLINE_MS": str(DEADLINE_MS),
        "COMPANION_CRM_CONNECT_TIMEOUT_MS": "100",
        "COMPANION_CRM_BREAKER_FAILURES": "3",
        "COMPANION_CRM_BREAKER_COOLDOWN_S": "0.2",
    }
    env.update({f"COMPANION_{k}": v for k, v in overrides.items()})
    return env


@pytest.fixture
def crm():
    """A healthy CRM stub that knows Ann by her phone number and her customer id."""
    with CrmStub({ANN_PHONE: ANN, ANN["customerId"]: ANN}) as stub:
        yield stub


@pytest.fixture
def make_backend(crm):
    """make_backend(**settings) -> an HttpBackend against the stub, closed after the test."""
    made = []

    def make(**overrides: str) -> HttpBackend:
        backend = HttpBackend(load_settings(backend_env(crm, **overrides)))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def crm_log():
    """The records the companion.crm logger emits during the test."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("companion.crm")
    handler = Collect(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def timed(backend: HttpBackend, keys: dict[str, str]):
    """(Lookup, seconds it took less the time the host kept the calling thread waiting for a CPU).

    The deadline is the backend's to keep; a busy host delaying the thread's wake-up is not (tests/run_delay.py).
    A backend that waits too long sleeps, which is not run-queue time: the full overrun still shows.
    """
    with timing() as span:
        result = backend.lookup(keys)
    return result, span.own_s
