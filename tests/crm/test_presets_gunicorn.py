"""A preset under a real gunicorn: /v1/customer answers from the stand-in, each worker process fetches one
token however many requests it serves, and `companion serve` refuses an incomplete preset with exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.crm import vendor_standins as standins
from tests.crm.test_crm_presets import API_KEY
from tests.crm.test_crm_presets import preset_env
from tests.crm.vendor_standins import VendorStandIn
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


def test_dynamics_under_gunicorn_fetches_one_token_per_worker():
    with VendorStandIn("dynamics") as crm:
        env = preset_env("dynamics", crm, WORKERS="2", THREADS="4", CRM_CACHE_TTL_S="0", CRM_CACHE_MISS_TTL_S="0")
        server = GunicornServer(env).start()
        try:
            with requests.Session() as session:
                answers = [
                    session.post(
                        f"{server.url}/v1/customer",
                        json={"phone": phone},
                        headers={"Authorization": f"Bearer {API_KEY}"},
                        timeout=5,
                    ).json()
                    for phone in ["tel:+13175550116", "+13175550199"] * 10
                ]
        finally:
            server.stop()
    assert all(not answer["degraded"] for answer in answers)
    assert answers[0]["customerId"] == standins.ANN_GUID and answers[0]["found"] is True
    assert answers[1]["found"] is False
    assert crm.api_calls == 20
    assert 1 <= crm.token_calls <= 2  # one per worker process that served a request


def test_companion_serve_lists_every_missing_preset_setting_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env |= {
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": "test-trace-secret-0123456789",
        "COMPANION_CRM_BACKEND": "dynamics",
        "COMPANION_CRM_BASE_URL": "https://acme.crm.dynamics.com",
    }
    done = subprocess.run(
        [str(BIN / "companion"), "serve", "--port", "0"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for name in ("COMPANION_CRM_TENANT", "COMPANION_CRM_CLIENT_ID", "COMPANION_CRM_CLIENT_SECRET"):
        assert f"  {name}: required for COMPANION_CRM_BACKEND=dynamics" in done.stderr, done.stderr
