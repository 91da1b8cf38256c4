"""One policy for unsafe CRM text, the same from a CSV import and from a remote CRM."""

from __future__ import annotations

import pytest

from service.crm.coerce import coerce_record
from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.text_rules import text_problem
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv
from tests.crm.http_fixtures import ANN_PHONE
from tests.crm.http_fixtures import crm  # noqa: F401 - fixture make_backend needs
from tests.crm.http_fixtures import make_backend  # noqa: F401 - fixture
from tests.crm_stub import CrmStub

TIERS = ("standard", "silver", "gold", "platinum")
UNSAFE = {
    "an ANSI escape": ("Ann\x1b[2J\x1b[31m", "contains control characters"),
    "a C1 control": ("Ann\x9bLee", "contains control characters"),
    "a NUL": ("Ann\x00", "contains control characters"),
    "a lone surrogate": ("Ann\ud800", "contains a lone UTF-16 surrogate"),
    "a formula": ('=HYPERLINK("http://evil.example","click")', "starts with '=', which a spreadsheet runs as a formula"),
    "a DDE payload": ("@SUM(1+1)*cmd|' /C calc'!A0", "starts with '@', which a spreadsheet runs as a formula"),
    "a plus formula": ("+1+cmd", "starts with '+', which a spreadsheet runs as a formula"),
    "a minus formula": ("-2+3", "starts with '-', which a spreadsheet runs as a formula"),
    "too long": ("x" * 257, "is longer than 256 characters"),
}


@pytest.mark.parametrize("case", list(UNSAFE))
def test_each_unsafe_value_has_one_reason(case):
    value, reason = UNSAFE[case]
    assert text_problem(value) == reason


@pytest.mark.parametrize("value", ["Ann Lee", "-5", "+44", "O'Brien", "Zoë", "李", "a-b", "x=y", "😀"])
def test_ordinary_text_and_plain_signed_numbers_pass(value):
    assert text_problem(value) is None


# A lone surrogate cannot be written as UTF-8: in a CSV file it is bad bytes, which the reader refuses
# (test_import_hardening.py::test_bad_utf8_is_reported_on_its_own_line).
@pytest.mark.parametrize("case", [case for case in UNSAFE if "surrogate" not in case])
def test_the_csv_import_rejects_the_row(tmp_path, case):
    value, reason = UNSAFE[case]
    rejected = []
    path = write_csv(tmp_path / "in.csv", [customer(1), customer(2, segment=value)])
    import_csv(path, tmp_path / "crm.sqlite3", RowRules(TIERS, "US"), on_reject=rejected.append)
    assert [(r.line, r.reason) for r in rejected] == [(3, f"segment {reason}")]


@pytest.mark.parametrize("case", list(UNSAFE))
def test_a_remote_crm_value_gets_the_default_and_the_same_reason(case):
    value, reason = UNSAFE[case]
    record, problems = coerce_record({"firstName": value, "lastName": "Lee"}, tiers=TIERS, default_region="US")
    assert record["firstName"] == "" and record["displayName"] == "Lee"
    assert problems == [f"firstName: {reason}"]


def test_over_http_the_unsafe_field_is_dropped_and_the_rest_served(make_backend):
    record = {"customerId": "C-9", "firstName": "=cmd|' /C calc'!A0", "lastName": "Lee\x1b[0m", "phone": ANN_PHONE}
    with CrmStub({ANN_PHONE: record}) as crm:
        result = make_backend(CRM_URL_TEMPLATE=crm.template()).lookup({"phone": ANN_PHONE})
    assert result.found and not result.degraded
    assert (result.record["customerId"], result.record["firstName"], result.record["lastName"]) == ("C-9", "", "")
    assert result.record["phone"] == ANN_PHONE
