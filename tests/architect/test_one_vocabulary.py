"""Export, check and the runtime share one statement of each Genesys fact, so they cannot disagree."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest

from architect.check.data_action import check_data_action
from architect.genesys.data_action_format import NOT_RUN_LOCALLY
from architect.runtime.actions import ActionDefinitionError, check_action
from tests.architect.conftest import ARCHITECT

ACTION = json.loads((ARCHITECT / "data-actions" / "Companion-Get-Customer.custom.json").read_text())


def variant(**changes):
    action = copy.deepcopy(ACTION)
    for dotted, value in changes.items():
        node = action
        *parents, key = dotted.split("__")
        for part in parents:
            node = node[part]
        node[key] = value
    return action


def check_errors(action) -> list[tuple[str, str]]:
    findings, _ = check_data_action("a.json", json.dumps(action))
    return [(f.path, f.rule) for f in findings if f.severity == "error"]


@pytest.mark.parametrize("timeout", [True, 0, 61, "10"])
def test_a_timeout_both_tools_refuse(timeout):
    action = variant(config__timeoutSeconds=timeout)
    assert [path for path, _rule in check_errors(action)] == ["config.timeoutSeconds"]
    with pytest.raises(ActionDefinitionError, match="timeoutSeconds"):
        check_action(action)


def test_every_known_integration_type_passes_check_and_the_runtime_runs_or_refuses_it_with_checks_reason():
    for kind in ("custom-rest-actions", "purecloud-data-actions", "function-data-actions", "aws-lambda-data-actions"):
        action = variant(integrationType=kind)
        findings, _ = check_data_action("a.json", json.dumps(action))
        assert not [f for f in findings if f.path == "integrationType" and f.severity != "info"], kind
        if kind not in NOT_RUN_LOCALLY:
            check_action(action)
            continue
        [note] = [f for f in findings if f.rule == "DA021"]
        with pytest.raises(ActionDefinitionError) as refused:
            check_action(action)
        assert NOT_RUN_LOCALLY[kind] in str(refused.value)
        assert NOT_RUN_LOCALLY[kind] in note.message


def test_an_unknown_integration_type_is_flagged_by_check_and_refused_by_the_runtime():
    action = variant(integrationType="soap-actions")
    findings, _ = check_data_action("a.json", json.dumps(action))
    assert [(f.rule, f.severity) for f in findings if f.path == "integrationType"] == [("DA004", "warning")]
    with pytest.raises(ActionDefinitionError, match="integrationType 'soap-actions' is not one of"):
        check_action(action)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_runtime_flow_module_imports_the_runner_back():
    """The runner imports its action handlers; no handler module imports the runner (no cycle, even a lazy one)."""
    folder = ARCHITECT / "runtime" / "flow"
    for path in sorted(folder.glob("*.py")):
        if path.name in ("runner.py", "__init__.py"):
            continue
        assert "architect.runtime.flow.runner" not in _imports(path), path.name


def test_every_action_the_runtime_handles_and_every_action_export_writes_is_a_known_archy_action(example_files):
    from architect.genesys.flow_actions import KNOWN_ACTIONS
    from architect.runtime.flow.actions import HANDLERS
    from ruamel.yaml import YAML

    assert set(HANDLERS) <= KNOWN_ACTIONS

    def action_keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("actions", "startUpTaskActions") and isinstance(value, list):
                    yield from (next(iter(item)) for item in value if isinstance(item, dict))
                yield from action_keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from action_keys(item)

    flow = YAML(typ="safe", pure=True).load(example_files["flows/companion-sample-inbound-call.yaml"])
    written = set(action_keys(flow))
    assert written and written <= set(HANDLERS)


def test_flow_types_and_declarations_are_the_shared_ones():
    from architect.check import flow as check_flow
    from architect.genesys import flow_types, variables
    from architect.runtime.flow import loader, scope

    assert check_flow.FLOW_TYPES is flow_types.FLOW_TYPES is loader.FLOW_TYPES
    assert scope.declaration_type is variables.declaration_type
