"""`companion check` judges translation-map paths with the runtime's Jayway compiler, so check and runtime agree."""

from __future__ import annotations

import json

import pytest

from architect.check.runner import check_paths
from architect.runtime.jsonpath import JsonPathError
from architect.runtime.jsonpath import compile_path
from tests.architect.conftest import BROKEN

# Kept out of broken/: check reads that folder as one set of flows and actions.
FILE = BROKEN.parent / "jsonpath-flaws" / "translation-paths.custom.json"


def test_refused_and_non_string_paths_are_found_and_jayway_accepted_ones_are_not():
    findings = {(f.path, f.rule, f.severity) for f in check_paths([FILE])}
    assert findings == {
        ("config.response.translationMap.assignment", "DA026", "error"),  # `=` is not an operator
        ("config.response.translationMap.queueName", "DA026", "error"),  # [name] without quotes
        ("config.response.translationMap.total", "DA002", "error"),
    }


def test_the_finding_carries_the_reason_jayway_refuses():
    [finding] = [f for f in check_paths([FILE]) if f.path.endswith(".queueName")]
    assert "'$.queue[name]'" in finding.message and "Could not parse token" in finding.message


@pytest.mark.parametrize("path", [
    "['participants'][?(@.purpose=='external')].userId",  # no leading $: Jayway puts `$.` in front
    "participants[0].userId",
    "$.size()",
    "$['key','another']",
    "$[?(@.name =~ /^ag.*/i)]",
    "$[0:3:2]",
])
def test_paths_jayway_compiles_pass_check(path, tmp_path):
    compile_path(path)
    assert not [f for f in check_paths([_action_with(tmp_path, path)]) if f.rule == "DA026"]


@pytest.mark.parametrize("path", ["$[?(true)]", "$[?@.key==42]", "$.[key]", "$[:]", "$.a.", "$[?(@.a ==)]"])
def test_paths_jayway_refuses_fail_check_with_the_runtime_error(path, tmp_path):
    with pytest.raises(JsonPathError) as refused:
        compile_path(path)
    [finding] = [f for f in check_paths([_action_with(tmp_path, path)]) if f.rule == "DA026"]
    assert finding.message == str(refused.value)


def _action_with(tmp_path, path: str):
    """The broken file's action with one translationMap entry: `path`."""
    action = json.loads(FILE.read_text(encoding="utf-8"))
    action["config"]["response"].update(translationMap={"value": path}, translationMapDefaults={"value": "null"},
                                        successTemplate='{"value": ${value}}')
    target = tmp_path / "one-path.custom.json"
    target.write_text(json.dumps(action), encoding="utf-8")
    return target
