"""Jayway JsonPath's answers replayed on our JSONPath layer: its README, tests and source rules (behaviours.json)
and answers recorded from a real Jayway 2.9.0 (recorded-2.9.0.json); see tests/runtime/jayway/SOURCES.md."""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path

import pytest

from architect.runtime.jsonpath import MISSING
from architect.runtime.jsonpath import JsonPathError
from architect.runtime.jsonpath import evaluate

HERE = Path(__file__).parent / "jayway"
CORPUS = json.loads((HERE / "behaviours.json").read_text(encoding="utf-8"))
CASES = CORPUS["cases"]
RECORDED = json.loads((HERE / "recorded-2.9.0.json").read_text(encoding="utf-8"))


def _same(actual, expected) -> bool:
    """JSON equality with float tolerance; Python's True == 1 is not JSON's."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, float) or isinstance(actual, float):
        return isinstance(actual, (int, float)) and math.isclose(actual, expected, rel_tol=1e-12)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(_same, actual, expected))
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and actual.keys() == expected.keys()
                and all(_same(actual[k], expected[k]) for k in expected))
    return type(actual) is type(expected) and actual == expected


def _answer(case, documents=CORPUS["documents"]):
    """What our layer answers, in the corpus's terms."""
    document = documents[case["doc"]] if "doc" in case else case["document"]
    try:
        value = evaluate(case["path"], document)
    except JsonPathError:
        return "invalid", None
    if value is MISSING:
        return "not_found", None
    return "value", value


def _agrees(case, documents=CORPUS["documents"]) -> bool:
    kind, value = _answer(case, documents)
    if case.get("invalid"):
        return kind == "invalid"
    if case.get("not_found"):
        return kind == "not_found"
    if kind != "value":
        return False
    if "unordered" in case:
        expected = sorted(json.dumps(v, sort_keys=True) for v in case["unordered"])
        return isinstance(value, list) and sorted(json.dumps(v, sort_keys=True) for v in value) == expected
    return _same(value, case["value"])


def test_the_corpus_is_large_and_every_case_names_its_source():
    assert len(CASES) >= 200
    for case in CASES:
        assert case["source"] in CORPUS["sources"], case
        assert sum(k in case for k in ("value", "unordered", "not_found", "invalid")) == 1, case


@pytest.mark.parametrize("case", CASES, ids=[f"{c['class']}:{c['path']}" for c in CASES])
def test_jayway_behaviour(case):
    kind, value = _answer(case)
    assert _agrees(case), f"{case['path']!r} ({case['source']}): expected {case}, got {kind} {value!r}"


@pytest.mark.parametrize("case", RECORDED["cases"], ids=[f"{c['doc']}:{c['path']}" for c in RECORDED["cases"]])
def test_answer_recorded_from_jayway_2_9(case):
    kind, value = _answer(case, RECORDED["documents"])
    assert _agrees(case, RECORDED["documents"]), (
        f"{case['path']!r} on {case['doc']}: expected {case}, got {kind} {value!r}")


def agreement_by_class() -> dict[str, tuple[int, int]]:
    """class -> (agreeing cases, cases): the figures reported in docs/reference/jayway-jsonpath.md."""
    totals = collections.Counter(case["class"] for case in CASES)
    agreeing = collections.Counter(case["class"] for case in CASES if _agrees(case))
    return {name: (agreeing[name], totals[name]) for name in sorted(totals)}


if __name__ == "__main__":
    for name, (ok, total) in agreement_by_class().items():
        print(f"{name:18} {ok:4}/{total:<4} {100 * ok / total:5.1f}%")
    recorded_ok = sum(_agrees(case, RECORDED["documents"]) for case in RECORDED["cases"])
    print(f"{'recorded 2.9.0':18} {recorded_ok:4}/{len(RECORDED['cases']):<4} "
          f"{100 * recorded_ok / len(RECORDED['cases']):5.1f}%")
