"""docs/deploying.md stays true: its settings exist and its commands do what it says."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from service.config import load_settings
from tests.servers import ROOT

DOC = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
KEY = "deploy-doc-key-0123456789"
SECRET = "deploy-doc-secret-0123456789"


def doc_exports() -> dict[str, str]:
    return dict(re.findall(r'^export (COMPANION_\w+)="?([^"\s]*)"?', DOC, re.M))


def test_every_setting_the_doc_exports_is_a_real_setting():
    exports = doc_exports()
    assert set(exports) == {"COMPANION_API_KEYS", "COMPANION_TRACE_SECRET", "COMPANION_METRICS_AUTH"}
    settings = load_settings({**exports, "COMPANION_API_KEYS": KEY, "COMPANION_TRACE_SECRET": SECRET})
    assert settings.metrics_auth is True


def test_every_metric_the_doc_lists_is_exported(client):
    body = client.get("/metrics").get_data(as_text=True)
    for name in re.findall(r"^\| `(companion_\w+)`", DOC, re.M):
        assert f"# TYPE {name} " in body or f"# TYPE {name.removesuffix('_total')} counter" in body, name


def one_host_script() -> str:
    """§1's commands as a new user runs them, in a fresh folder: the install lines aside (the CI front door and
    this test's own virtual environment cover them), placeholders filled, on a free loopback port."""
    block = re.search(r"## 1\. One host.*?```sh\n(.*?)```", DOC, re.S).group(1)
    lines = [line for line in block.splitlines() if not line.startswith(("python3 -m venv", "export PATH="))]
    script = "\n".join(lines).replace("<key-1>", KEY).replace("<secret>", SECRET)
    assert "companion serve --host 0.0.0.0 --port 8080" in script
    return "set -e\n" + script.replace("companion serve --host 0.0.0.0 --port 8080",
                                       "exec companion serve --host 127.0.0.1 --port 0")


@pytest.mark.e2e
def test_companion_serve_then_probe_scrape_and_sigterm_as_the_doc_shows(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COMPANION_WORKERS"] = "1"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        # In a fresh folder: `companion crm demo` creates instance/crm.sqlite3 there, where serve looks for it.
        process = subprocess.Popen(["bash", "-c", one_host_script()], cwd=tmp_path, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (match := re.search(r"is listening on (http://[^\s\",]+)", log.read_text())) and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        assert match, log.read_text()
        url = match.group(1)
        assert requests.get(f"{url}/readyz", timeout=5).json() == {"status": "ok"}
        assert requests.get(f"{url}/metrics", timeout=5).status_code == 401
        scraped = requests.get(f"{url}/metrics", headers={"X-API-Key": KEY}, timeout=5)
        assert scraped.status_code == 200 and "companion_http_requests_in_flight" in scraped.text
        process.send_signal(signal.SIGTERM)
        assert process.wait(25) == 0
        # In production every line on stderr is JSON, gunicorn's own lines (start, workers, shutdown) included.
        text = log.read_text()
        served = text[text.rindex("\n", 0, text.index("Starting gunicorn")) + 1:]  # after `crm demo`'s report
        lines = [line for line in served.splitlines() if line.strip()]
        loggers = {json.loads(line)["logger"] for line in lines}
        assert {"gunicorn.error", "companion.serving", "companion.access"} <= loggers, lines
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
