"""CSV import: row validation, the rejected-row report, upserts, whole-file errors, the CLI's exit codes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from service.cli import cli
from service.crm.importer import ImportFileError
from service.crm.importer import Rejected
from service.crm.importer import RowError
from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.importer import validate_row
from service.crm.sqlite import COLUMNS
from service.crm.sqlite import SqliteBackend
from tests.crm.conftest import HEADER
from tests.crm.conftest import customer
from tests.crm.conftest import table
from tests.crm.conftest import write_csv

RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")


def row_of(values: dict) -> dict:
    return dict(zip(COLUMNS, validate_row(values, RULES)))


@pytest.mark.parametrize(
    ("overrides", "field", "stored"),
    [
        ({"phone": "tel:+1 (317) 555-0116"}, "phone", "+13175550116"),
        ({"phone": "(317) 555-0116"}, "phone", "+13175550116"),
        ({"phone": ""}, "phone", ""),
        ({"tier": " Platinum "}, "tier", "platinum"),
        # No tier is a valid answer (the response's default), as from a remote CRM.
        ({"tier": ""}, "tier", ""),
        ({"vip": "TRUE"}, "vip", 1),
        ({"vip": "yes"}, "vip", 1),
        ({"vip": "1"}, "vip", 1),
        ({"vip": "N"}, "vip", 0),
        ({"vip": ""}, "vip", 0),
        ({"priority": ""}, "priority", 0),
        ({"priority": "100"}, "priority", 100),
        ({"openCases": " 7 "}, "openCases", 7),
        ({"lastContactAt": "2024-05-01T14:30:00+02:00"}, "lastContactAt", "2024-05-01T12:30:00Z"),
        ({"lastContactAt": "2024-05-01T12:30:00.250Z"}, "lastContactAt", "2024-05-01T12:30:00Z"),
        ({"lastContactAt": "2024-12-31T23:30:00-05:00"}, "lastContactAt", "2025-01-01T04:30:00Z"),
        ({"lastContactAt": ""}, "lastContactAt", ""),
        # schemas.record's rule for dates, the same as for a remote CRM: no offset means UTC.
        ({"lastContactAt": "2024-05-01T12:00:00"}, "lastContactAt", "2024-05-01T12:00:00Z"),
        ({"lastContactAt": "1714557600"}, "lastContactAt", "2024-05-01T10:00:00Z"),
        ({"email": " Grace@Example.COM "}, "email", "Grace@Example.COM"),
        ({"email": "Grace@Example.COM"}, "emailKey", "grace@example.com"),
        ({"firstName": "Zoë", "lastName": "O'Brien"}, "displayName", "Zoë O'Brien"),
        ({"displayName": "Dr. G. Hopper"}, "displayName", "Dr. G. Hopper"),
    ],
)
def test_valid_values_are_normalised(overrides, field, stored):
    assert row_of(customer(1, **overrides))[field] == stored


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"customerId": "  "}, "customerId is empty"),
        ({"phone": "555-1234-not"}, "phone '555-1234-not' is not"),
        ({"phone": "+1 555 555 5555"}, "phone '+1 555 555 5555' is not a valid number"),
        ({"tier": "diamond"}, "tier 'diamond' is not one of standard, silver, gold, platinum"),
        ({"priority": "101"}, "priority 101 is outside 0-100"),
        ({"priority": "-1"}, "priority -1 is outside 0-100"),
        ({"priority": "4.5"}, "priority '4.5' is not a whole number"),
        ({"email": "grace.example.com"}, "email 'grace.example.com' is not an e-mail address"),
        ({"email": "grace@localhost"}, "is not an e-mail address"),
        ({"email": "a b@example.com"}, "is not an e-mail address"),
        ({"vip": "maybe"}, "vip 'maybe' is not true/false"),
        ({"openCases": "-2"}, "openCases -2 is outside >= 0"),
        ({"lastContactAt": "yesterday"}, "lastContactAt 'yesterday' is not an ISO-8601"),
        ({"preferredLanguage": "English (US)"}, "is not a language tag"),
        ({"segment": "x" * 300}, "segment is longer than 256"),
        ({"lastName": "Hop\x00per"}, "lastName contains control characters"),
    ],
)
def test_invalid_values_are_rejected_with_the_field_and_reason(overrides, reason):
    with pytest.raises(RowError) as error:
        validate_row(customer(1, **overrides), RULES)
    assert reason in str(error.value)


def test_tiers_come_from_the_settings():
    rules = RowRules(("bronze", "gold"), "US")
    assert dict(zip(COLUMNS, validate_row(customer(1, tier="Bronze"), rules)))["tier"] == "bronze"
    with pytest.raises(RowError, match="not one of bronze, gold"):
        validate_row(customer(1, tier="platinum"), rules)


def test_national_numbers_use_the_default_region():
    assert dict(zip(COLUMNS, validate_row(customer(1, phone="020 7946 0958"), RowRules(("gold",), "GB"))))["phone"] == (
        "+442079460958")


def test_import_writes_valid_rows_and_reports_each_rejected_row_with_its_line(tmp_path):
    rows = [customer(1), customer(2, tier="diamond"), customer(3), customer(4, phone="12"), customer(1, lastName="X")]
    path = write_csv(tmp_path / "in.csv", rows)
    rejected: list[Rejected] = []
    report = import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=rejected.append)
    assert (report.imported, report.rejected, report.created) == (2, 3, True)
    assert [(r.line, r.reason.split(" ")[0]) for r in rejected] == [(3, "tier"), (5, "phone"), (6, "customerId")]
    assert rejected[2].reason == "customerId 'C-0000001' repeats the row on line 2"
    assert [r[0] for r in table(tmp_path / "crm.sqlite3")] == ["C-0000001", "C-0000003"]


def test_line_numbers_count_physical_lines_of_quoted_multi_line_fields(tmp_path):
    path = tmp_path / "in.csv"
    write_csv(path, [customer(1, segment="line one\nline two"), customer(2, priority="500")])
    rejected = []
    import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=rejected.append)
    assert [(r.line, r.reason) for r in rejected] == [
        (2, "segment contains control characters"), (4, "priority 500 is outside 0-100")]


def test_short_and_long_rows_and_blank_lines(tmp_path):
    path = tmp_path / "in.csv"
    write_csv(path, [customer(1)])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\nC-9,only,three\n")
        handle.write(",".join(["C-10"] + ["x"] * 13) + "\n")
    rejected = []
    report = import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=rejected.append)
    assert report.imported == 1
    assert [(r.line, r.reason) for r in rejected] == [
        (4, "has 3 fields; the header has 13"), (5, "has 14 fields; the header has 13")]


def test_columns_may_come_in_any_order_and_display_name_is_optional(tmp_path):
    header = list(reversed(HEADER)) + ["displayName"]
    path = write_csv(tmp_path / "in.csv", [customer(1, displayName="Amazing Grace"), customer(2)], header=header)
    import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    backend = SqliteBackend(tmp_path / "crm.sqlite3")
    assert backend.lookup({"customerId": "C-0000001"}).record["displayName"] == "Amazing Grace"
    assert backend.lookup({"customerId": "C-0000002"}).record["displayName"] == "Grace Hopper2"
    backend.close()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([*HEADER, "shoeSize"], "unknown column(s): shoeSize"),
        ([name for name in HEADER if name != "customerId"], "missing column(s): customerId"),
        ([*HEADER, "phone"], "repeated column(s): phone"),
        (["Customer ID", *HEADER[1:]], "unknown column(s): Customer ID; missing column(s): customerId"),
    ],
)
def test_bad_header_is_a_whole_file_error_naming_the_columns(tmp_path, header, message):
    path = write_csv(tmp_path / "in.csv", [customer(1)], header=header)
    with pytest.raises(ImportFileError) as error:
        import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    assert message in str(error.value)
    assert not (tmp_path / "crm.sqlite3").exists()


def test_empty_and_non_utf8_files_are_whole_file_errors(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ImportFileError, match="the file is empty"):
        import_csv(tmp_path / "empty.csv", tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    (tmp_path / "latin1.csv").write_bytes((",".join(HEADER) + "\n").encode() + "C-1,Zo\xeb".encode("latin-1") + b"\n")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_csv(tmp_path / "latin1.csv", tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    assert not (tmp_path / "crm.sqlite3").exists()


def test_import_upserts_by_customer_id_into_an_existing_database(tmp_path):
    db = tmp_path / "crm.sqlite3"
    import_csv(write_csv(tmp_path / "a.csv", [customer(1), customer(2)]), db, RULES, on_reject=pytest.fail)
    second = write_csv(tmp_path / "b.csv", [customer(2, tier="platinum", phone="+13175550116"), customer(3)])
    report = import_csv(second, db, RULES, on_reject=pytest.fail)
    assert (report.imported, report.created) == (2, False)
    backend = SqliteBackend(db)
    assert backend.lookup({"customerId": "C-0000001"}).found
    updated = backend.lookup({"phone": "+13175550116"}).record
    assert (updated["customerId"], updated["tier"]) == ("C-0000002", "platinum")
    # The old phone of customer 2 no longer finds anyone: the index follows the update.
    assert not backend.lookup({"phone": customer(2)["phone"]}).found
    backend.close()
    assert len(table(db)) == 3


def test_importing_into_a_foreign_database_is_refused_and_leaves_it_alone(tmp_path):
    db = tmp_path / "other.db"
    db.write_bytes(b"not ours" * 200)
    with pytest.raises(ImportFileError, match="not a readable SQLite database|not a companion CRM database"):
        import_csv(write_csv(tmp_path / "a.csv", [customer(1)]), db, RULES, on_reject=pytest.fail)
    assert db.read_bytes() == b"not ours" * 200


# --- the command line (in process; the subprocess tests are in test_import_process.py) ---------------


def invoke(*args, env=None):
    return CliRunner().invoke(cli, ["crm", *args], env=env or {}, catch_exceptions=False)


def test_cli_import_reports_rejects_on_stderr_and_exits_0_when_rows_were_imported(tmp_path):
    path = write_csv(tmp_path / "in.csv", [customer(1), customer(2, priority="900")])
    result = invoke("import", str(path), "--db", str(tmp_path / "crm.sqlite3"))
    assert result.exit_code == 0
    assert result.stderr == "line 3: priority 900 is outside 0-100\n"
    assert "1 customers imported" in result.stdout and "1 rows rejected" in result.stdout
    # Not a terminal here: no progress line.
    assert "rows/s" not in result.stderr


def test_cli_import_exits_1_and_changes_nothing_when_no_row_is_valid(tmp_path):
    db = tmp_path / "crm.sqlite3"
    invoke("import", str(write_csv(tmp_path / "a.csv", [customer(1)])), "--db", str(db))
    before = table(db)
    result = invoke("import", str(write_csv(tmp_path / "b.csv", [customer(1, tier="x"), customer(2, vip="?")])),
                    "--db", str(db))
    assert result.exit_code == 1
    assert "error: no valid rows" in result.stderr
    assert table(db) == before


def test_cli_import_of_an_unusable_file_exits_1_with_the_reason(tmp_path):
    result = invoke("import", str(tmp_path / "absent.csv"), "--db", str(tmp_path / "crm.sqlite3"))
    assert result.exit_code == 1 and "cannot read" in result.stderr and "unchanged" in result.stderr


def test_cli_reads_the_database_path_tiers_and_region_but_needs_no_api_key(tmp_path):
    path = write_csv(tmp_path / "in.csv", [customer(1, tier="bronze", phone="020 7946 0958")])
    env = {"COMPANION_SQLITE_PATH": str(tmp_path / "env.sqlite3"), "COMPANION_TIERS": "bronze,silver",
           "COMPANION_DEFAULT_REGION": "GB", "COMPANION_API_KEYS": ""}
    result = invoke("import", str(path), env=env)
    assert result.exit_code == 0, result.stderr
    assert SqliteBackend(tmp_path / "env.sqlite3").lookup({"phone": "+442079460958"}).found


def test_cli_names_an_invalid_setting(tmp_path):
    result = invoke("import", "x.csv", env={"COMPANION_DEFAULT_REGION": "usa"})
    assert result.exit_code == 1 and "COMPANION_DEFAULT_REGION" in result.stderr


def test_cli_demo_creates_the_database_and_refuses_to_overwrite(tmp_path):
    db = tmp_path / "demo.sqlite3"
    first = invoke("demo", "--db", str(db), "--count", "50")
    assert first.exit_code == 0 and "50 demo customers" in first.stdout and "+13175550199" in first.stdout
    assert len(table(db)) == 50
    again = invoke("demo", "--db", str(db))
    assert again.exit_code == 1 and "already exists" in again.stderr
