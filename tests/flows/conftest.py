"""Fixtures for the flow runner tests: a stub HTTP server and a helper that runs a flow given as YAML text."""

import json
import textwrap

import pytest

from architect.runtime.flow import ActionRegistry, parse_flow, run_flow
from tests.runtime.stub_server import StubServer

CONVERSATION_ID = "0b4a6d1e-1c1f-4d5e-9b1a-2f3c4d5e6f70"


@pytest.fixture
def stub():
    """A fresh stub HTTP server on 127.0.0.1 standing in for a data action's endpoint."""
    with StubServer() as server:
        yield server


def write_action(folder, name: str, *, path: str = "/lookup", output_properties: dict | None = None,
                 input_properties: dict | None = None, timeout_seconds: int | None = None,
                 file_name: str | None = None):
    """Write a Web Services data action file (export format) posting its inputs to https://crm.example.com{path}."""
    config = {
        "request": {"requestUrlTemplate": f"https://crm.example.com{path}", "requestType": "POST",
                    "headers": {"Content-Type": "application/json"}, "requestTemplate": "${input.rawRequest}"},
        "response": {"translationMap": {}, "translationMapDefaults": {}, "successTemplate": "${rawResult}"},
    }
    if timeout_seconds is not None:
        config["timeoutSeconds"] = timeout_seconds
    action = {
        "name": name, "integrationType": "custom-rest-actions", "actionType": "custom", "config": config,
        "contract": {
            "input": {"inputSchema": {"type": "object", "properties": input_properties or {"phone": {"type": "string"}}}},
            "output": {"successSchema": {"type": "object", "properties": output_properties or {}}},
        },
        "secure": False,
    }
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (file_name or name.replace(" ", "-") + ".custom.json")
    target.write_text(json.dumps(action), encoding="utf-8")
    return target


@pytest.fixture
def simulate(tmp_path):
    """simulate(yaml_text, **options) -> FlowResult; data actions come from tmp_path/actions."""

    def run(text: str, *, ani: str = "tel:+13175550116", **options):
        flow = parse_flow(textwrap.dedent(text), options.pop("substitutions", None), source="test.yaml")
        actions = tmp_path / "actions"
        registry = ActionRegistry(actions if actions.is_dir() else None)
        return run_flow(flow, ani=ani, conversation_id=CONVERSATION_ID, actions_dir=registry, **options)

    return run
