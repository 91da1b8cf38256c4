"""`companion doctor` on real-world participant-attribute writes (wrong-requests.yaml, right-requests.yaml)."""

from __future__ import annotations

import json

import pytest

from architect.doctor.diagnose import ATTRIBUTES_MODEL
from tests.doctor.conftest import doctor_args
from tests.doctor.conftest import load_cases

WRONG = load_cases("wrong-requests.yaml")
RIGHT = load_cases("right-requests.yaml")
ALWAYS = {"DR010", "DR011"}  # the flow-side risks, reported for every write


def _rules(document: dict) -> set[str]:
    return {f["rule"] for f in document["findings"] if f["severity"] in ("error", "warning")} - ALWAYS


def test_the_corpus_holds_at_least_20_wrong_requests_each_with_a_public_source():
    assert len(WRONG) >= 20
    assert len({case["id"] for case in WRONG + RIGHT}) == len(WRONG + RIGHT)
    for case in WRONG + RIGHT:
        assert case["source"].startswith("https://"), case["id"]
        assert sum(key in case for key in ("curl", "http", "request")) == 1, case["id"]


@pytest.mark.parametrize("case", WRONG, ids=[c["id"] for c in WRONG])
def test_wrong_request_gets_its_findings_and_exit_1(case, run_doctor):
    code, document = run_doctor(*doctor_args(case))
    assert code == 1
    assert document["persists"] is False
    assert _rules(document) == set(case["expect"])
    assert ALWAYS <= {f["rule"] for f in document["findings"]}
    for item in document["findings"]:
        assert item["sources"] and all(url.startswith("https://") for url in item["sources"])


@pytest.mark.parametrize("case", WRONG, ids=[c["id"] for c in WRONG])
def test_corrected_request_is_a_real_attributes_operation_that_doctor_accepts(case, run_doctor, api_paths):
    _code, document = run_doctor(*doctor_args(case))
    corrected = document["corrected"]
    assert corrected["method"] == "PATCH"
    operations = [op for op in api_paths.operations_for(corrected["url"]) if op.verb == "PATCH"]
    assert [op.body_model for op in operations] == [ATTRIBUTES_MODEL]
    assert operations[0].path == corrected["operation"]
    attributes = json.loads(corrected["body"])["attributes"]
    assert attributes and all(isinstance(v, str) for v in attributes.values())
    assert corrected["python"]["method"] == f"ConversationsApi.{operations[0].method}"
    assert corrected["javascript"]["method"] == f"ConversationsApi.{operations[0].javascript_method}"
    # The correction, pasted back as the curl command doctor printed, stores its attributes.
    code, again = run_doctor(["doctor", "--json", "-"], corrected["curl"])
    assert (code, again["persists"]) == (0, True)


@pytest.mark.parametrize("case", RIGHT, ids=[c["id"] for c in RIGHT])
def test_right_request_exits_0_with_only_the_listed_notes(case, run_doctor):
    code, document = run_doctor(*doctor_args(case))
    assert (code, document["persists"], document["corrected"]) == (0, True, None)
    rules = {f["rule"] for f in document["findings"]} - ALWAYS
    assert rules == set(case["expect"])
