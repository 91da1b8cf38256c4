"""Your own CRM fields end to end, with the real commands: a HubSpot-shaped, semicolon-separated export with
renamed headers and missing optional columns is imported; gunicorn serves it with the fields file; export
writes actions and flows that carry the fields; simulate runs that flow against that server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.servers import GunicornServer

ROOT = Path(__file__).resolve().parents[1]
COMPANION = str(Path(sys.executable).with_name("companion"))
FILES = ROOT / "tests" / "crm" / "files"
CSV = FILES / "hubspot-contacts-semicolon.csv"
FIELDS = FILES / "fields.yaml"
API_KEY = "custom-fields-key-0123456789"
ADA = "+13175550142"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([COMPANION, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("custom-e2e") / "crm.sqlite3"
    done = run("crm", "import", str(CSV), "--db", str(db), "--fields", str(FIELDS), "--map", "Phone Number=phone")
    assert done.returncode == 0, done.stderr
    assert "3 customers imported" in done.stdout and "1 rows rejected" in done.stdout
    return db


@pytest.fixture(scope="module")
def server(imported):
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": "custom-fields-trace-secret-0123",
           "COMPANION_SQLITE_PATH": str(imported), "COMPANION_FIELDS_FILE": str(FIELDS)}
    with GunicornServer(env) as running:
        yield running


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("custom-export")
    done = run("export", "--base-url", "https://companion.example.com", "--fields", str(FIELDS), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_the_service_answers_the_custom_fields_with_their_types(server):
    answer = requests.post(f"{server.url}/v1/customer", json={"phone": "tel:+1-317-555-0142"},
                           headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5).json()
    assert answer["found"] and answer["displayName"] == "Ada Lovelace"
    assert (answer["loyaltyPoints"], answer["accountManager"], answer["churnRisk"]) == (1200, "Grace Hopper", False)


def test_export_writes_actions_whose_outputs_include_the_custom_fields(exported):
    for name in ("Companion-Get-Call-Context", "Companion-Get-Customer"):
        action = json.loads((exported / "data-actions" / f"{name}.custom.json").read_text(encoding="utf-8"))
        outputs = action["contract"]["output"]["successSchema"]["properties"]
        assert {key: outputs[key]["type"] for key in ("loyaltyPoints", "accountManager", "churnRisk")} == {
            "loyaltyPoints": "integer", "accountManager": "string", "churnRisk": "boolean"}
    terraform = (exported / "terraform" / "actions.tf").read_text(encoding="utf-8")
    assert '"loyaltyPoints"' in terraform
    task = (exported / "flows" / "companion-context-task.yaml").read_text(encoding="utf-8")
    assert 'exp: "ToString(Task.loyaltyPoints)"' in task and 'exp: "Task.accountManager"' in task
    assert 'lit: "crm.churnRisk"' in task and "--fields" in task


def test_simulate_shows_the_custom_fields_in_the_participant_data(server, exported):
    flows = exported / "flows"
    done = run("simulate", str(flows / "companion-sample-inbound-call.yaml"),
               "--options", str(flows / "options.example.yaml"), "--actions", str(exported / "data-actions"),
               "--ani", f"tel:{ADA}", "--service-url", server.url, "--credential", f"apiKey={API_KEY}", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["participantData"]
    assert (data["crm.loyaltyPoints"], data["crm.accountManager"], data["crm.churnRisk"]) == (
        "1200", "Grace Hopper", "false")
    assert data["companion.status"] == "ok" and data["crm.displayName"] == "Ada Lovelace"
