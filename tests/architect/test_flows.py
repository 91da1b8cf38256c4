"""The Archy YAML files: same meaning to YAML 1.1 and 1.2 loaders before and after substitution, and the task's wiring."""

from __future__ import annotations

import json
import re

import pytest
import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import ScalarString

from tests.architect.conftest import ARCHITECT

FLOWS = ARCHITECT / "flows"
FLOW_FILES = ["companion-context-task.yaml", "companion-sample-inbound-call.yaml", "options.example.yaml"]
CONTEXT_ACTION = json.loads((ARCHITECT / "data-actions" / "Companion-Get-Call-Context.custom.json").read_text())
PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")


def load_12(text: str):
    """YAML 1.2 (ruamel) as plain Python data."""
    return YAML(typ="safe", pure=True).load(text)


def load_11(text: str):
    """YAML 1.1 (PyYAML)."""
    return pyyaml.safe_load(text)


def substitutions() -> dict[str, str]:
    return load_12((FLOWS / "options.example.yaml").read_text())["substitutions"]


def substitute(text: str, values: dict[str, str]) -> str:
    """Archy/Terraform substitution: a plain text replace of {{key}} (docs/reference/archy-flows.md §6, TF util_files.go)."""
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def task() -> dict:
    return load_12((FLOWS / "companion-context-task.yaml").read_text())["task"]


def sample_flow() -> dict:
    return load_12((FLOWS / "companion-sample-inbound-call.yaml").read_text())["inboundCall"]


def call_data(task_doc: dict) -> dict:
    return task_doc["actions"][0]["callData"]


def action_binding(step: dict) -> tuple[str, str, dict]:
    [(category, entry)] = step["category"].items()
    [(name, binding)] = entry["dataAction"].items()
    return category, name, binding


def set_attributes(actions: list) -> dict[str, dict]:
    [step] = actions
    return {a["attribute"]["name"]["lit"]: a["attribute"]["value"] for a in step["setParticipantData"]["attributes"]}


@pytest.mark.parametrize("name", FLOW_FILES)
def test_yaml_means_the_same_to_yaml_11_and_12_loaders_before_and_after_substitution(name):
    text = (FLOWS / name).read_text()
    assert load_11(text) == load_12(text)
    rendered = substitute(text, substitutions())
    assert load_11(rendered) == load_12(rendered)
    assert not PLACEHOLDER.search(_without_comments(rendered))


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


@pytest.mark.parametrize("name", FLOW_FILES)
def test_every_string_value_and_every_unusual_key_is_quoted(name):
    loader = YAML(typ="rt")
    loader.preserve_quotes = True
    unquoted = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or key in ("yes", "no"):
                    if not isinstance(key, ScalarString):
                        unquoted.append(f"{path}.{key} (key)")
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")
        elif isinstance(node, str) and not isinstance(node, ScalarString):
            unquoted.append(path)

    walk(loader.load((FLOWS / name).read_text()), "")
    assert unquoted == []


def test_options_example_lists_exactly_the_placeholders_the_flows_use():
    used = set()
    for name in FLOW_FILES[:2]:
        used |= set(PLACEHOLDER.findall(_without_comments((FLOWS / name).read_text())))
    assert used == set(substitutions())
    assert used == {"flow_name", "companion_integration", "vip_queue", "default_queue"}


def test_substituted_values_land_where_archy_expects_them():
    flow = load_12(substitute((FLOWS / "companion-sample-inbound-call.yaml").read_text(), substitutions()))
    assert flow["inboundCall"]["name"] == "Companion Sample Inbound Call"
    category, name, _ = action_binding(call_data(flow["inboundCall"]["tasks"][0]["task"]))
    assert category == "Architect Companion"
    assert name == "Companion Get Call Context"


def test_call_data_uses_the_context_action_by_name_under_the_integration_placeholder():
    category, name, binding = action_binding(call_data(task()))
    assert category == "{{companion_integration}}"
    assert name == CONTEXT_ACTION["name"]
    assert "failureOutputs" not in binding  # call flows cannot bind them (docs/reference/archy-flows.md §2)


def test_call_data_sends_the_conversation_and_the_caller_ani_and_every_other_input_as_no_value():
    _, _, binding = action_binding(call_data(task()))
    inputs = binding["inputs"]
    assert list(inputs) == list(CONTEXT_ACTION["contract"]["input"]["inputSchema"]["properties"])
    assert inputs["conversationId"] == {"exp": "Call.ConversationId"}
    assert inputs["phone"] == {"exp": "Call.Ani"}
    assert {k: v for k, v in inputs.items() if k not in ("conversationId", "phone")} == {
        k: {"noValue": True} for k in ("participantId", "customerId", "email", "accountNumber")
    }


def test_success_outputs_are_bound_to_declared_task_variables_of_the_contract_type():
    doc = task()
    declared = {}
    for entry in doc["variables"]:
        [(kind, spec)] = entry.items()
        declared[spec["name"]] = (kind, spec["initialValue"]["lit"])
    contract = CONTEXT_ACTION["contract"]["output"]["successSchema"]["properties"]
    expected_kind = {"string": ("stringVariable", ""), "integer": ("integerVariable", 0), "boolean": ("booleanVariable", False)}
    _, _, binding = action_binding(call_data(doc))
    assert binding["successOutputs"]
    for output, target in binding["successOutputs"].items():
        variable = target["var"]
        assert variable == f"Task.{output}"
        assert declared[variable] == expected_kind[contract[output]["type"]], output
    assert set(declared) == {target["var"] for target in binding["successOutputs"].values()}


def test_success_sets_every_default_attribute_with_to_string_around_non_strings():
    attributes = set_attributes(call_data(task())["outputs"]["success"]["actions"])
    assert attributes["dd.trace_id"] == {"exp": "Task.ddTraceId"}
    assert attributes["traceparent"] == {"exp": "Task.traceparent"}
    assert attributes["crm.customerId"] == {"exp": "Task.customerId"}
    assert attributes["crm.tier"] == {"exp": "Task.tier"}
    assert attributes["crm.vip"] == {"exp": "ToString(Task.vip)"}
    assert attributes["crm.found"] == {"exp": "ToString(Task.found)"}
    assert attributes["crm.degraded"] == {"exp": "ToString(Task.degraded)"}
    assert attributes["crm.priority"] == {"exp": "ToString(Task.priority)"}
    assert attributes["crm.openCases"] == {"exp": "ToString(Task.openCases)"}
    assert attributes["companion.status"] == {"lit": "ok"}


@pytest.mark.parametrize("path, status", [("failure", "failure"), ("timeout", "timeout")])
def test_failure_and_timeout_set_the_status_attribute_and_continue(path, status):
    actions = call_data(task())["outputs"][path]["actions"]
    assert set_attributes(actions) == {"companion.status": {"lit": status}}


def test_call_data_step_timeout_matches_the_action_timeout():
    assert call_data(task())["timeout"] == {"lit": {"seconds": CONTEXT_ACTION["config"]["timeoutSeconds"]}}


def test_sample_flow_starts_with_the_task_and_routes_vip_and_platinum_to_the_vip_queue():
    flow = sample_flow()
    [entry] = flow["tasks"]
    routed = entry["task"]
    assert flow["startUpRef"] == f"/inboundCall/tasks/task[{routed['refId']}]"
    assert routed["actions"][0] == task()["actions"][0]
    assert routed["variables"] == task()["variables"]
    known, default_transfer, disconnect = routed["actions"][1:]
    assert known["decision"]["condition"] == {"exp": "Task.found"}
    [vip] = known["decision"]["outputs"]["yes"]["actions"]
    assert vip["decision"]["condition"] == {"exp": 'Task.vip or (Task.tier == "platinum")'}
    [transfer] = vip["decision"]["outputs"]["yes"]["actions"]
    assert transfer["transferToAcd"]["targetQueue"] == {"lit": {"name": "{{vip_queue}}"}}
    assert default_transfer["transferToAcd"]["targetQueue"] == {"lit": {"name": "{{default_queue}}"}}
    assert list(disconnect) == ["disconnect"]


def test_generated_yaml_files_name_the_export_command_in_their_header():
    for name in FLOW_FILES:
        head = (FLOWS / name).read_text().splitlines()[:2]
        assert head == [
            "# Generated by `companion export` from schemas/; do not edit by hand.",
            "# Command: companion export --base-url https://companion.example.com --auth bearer",
        ]


def test_the_task_snippet_says_it_is_not_a_flow_and_runs_once_pasted_into_one(tmp_path):
    from architect.genesys.flow_types import FLOW_TYPES
    from architect.runtime.flow import FlowLoadError, load_flow, parse_flow, run_flow
    from tests.runtime.stub_server import StubServer

    snippet = FLOWS / "companion-context-task.yaml"
    text = snippet.read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[2].startswith("# NOT A FLOW: a task snippet to paste into one. archy publish rejects this file")
    assert not set(load_12(text)) & FLOW_TYPES
    with pytest.raises(FlowLoadError, match="a task snippet, not a flow"):
        load_flow(snippet, {"companion_integration": "Companion"})
    # Pasted as one item of a flow's tasks: list, it runs.
    body = "\n".join("      " + line if line.strip() else line for line in text.splitlines() if not line.startswith("#"))
    flow_text = ("inboundCall:\n  name: Pasted\n  startUpRef: /inboundCall/tasks/task[companionContext]\n  tasks:\n"
                 "    - " + body.lstrip())
    flow = parse_flow(flow_text, {"companion_integration": "Companion"}, source="pasted.yaml")
    def sample(schema):  # an answer in the shape the context action's output contract describes
        samples = {"string": "x", "integer": 1, "number": 1.5, "boolean": True}
        if schema.get("type") == "object" or "properties" in schema:
            return {name: sample(prop) for name, prop in schema.get("properties", {}).items()}
        kind = schema.get("type")
        return samples.get(kind[0] if isinstance(kind, list) else kind, "x")

    with StubServer() as stub:
        stub.answer("POST", "/v1/context", json_body=sample(CONTEXT_ACTION["contract"]["output"]["successSchema"]))
        result = run_flow(flow, ani="tel:+13175550116", conversation_id="conv-1",
                          actions_dir=ARCHITECT / "data-actions", service_url=stub.url)
        assert [r.path for r in stub.received] == ["/v1/context"]
    assert [s.kind for s in result.steps][:2] == ["task", "callData"]
    assert result.participantData["companion.status"] == "ok"
