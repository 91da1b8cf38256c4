"""CSV files as real CRMs export them: other delimiters, other header names, absent and unknown columns."""

from __future__ import annotations

import csv
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemas.fields_file import load_fields_file
from service.cli import cli
from service.crm import cli as crm_cli
from service.crm.importer import HeaderRules
from service.crm.importer import ImportFileError
from service.crm.importer import RowError
from service.crm.importer import RowRules
from service.crm.importer import detect_delimiter
from service.crm.importer import import_csv
from service.crm.importer import validate_row
from service.crm.sqlite import SqliteBackend
from tests.crm.conftest import HEADER
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv

FILES = Path(__file__).parent / "files"
HUBSPOT_CSV = FILES / "hubspot-contacts-semicolon.csv"
FIELDS = FILES / "fields.yaml"
RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
COMPANION = str(Path(sys.executable).with_name("companion"))


def lookup(db: Path, keys: dict, custom=()) -> dict | None:
    backend = SqliteBackend(db, custom)
    try:
        return backend.lookup(keys).record
    finally:
        backend.close()


def invoke(*args):
    return CliRunner().invoke(cli, ["crm", *args], env={}, catch_exceptions=False)


def write_delimited(path: Path, rows: list[dict], delimiter: str, header=HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_detected_from_the_header(tmp_path, delimiter):
    path = write_delimited(tmp_path / "in.csv", [customer(1, segment="a,b;c"), customer(2)], delimiter)
    report = import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    assert report.imported == 2
    assert lookup(tmp_path / "crm.sqlite3", {"customerId": "C-0000001"})["segment"] == "a,b;c"


def test_a_single_column_header_is_comma_separated():
    assert detect_delimiter("customerId\r\n") == ","
    assert detect_delimiter("customerId;firstName,lastName;tier") == ";"


def test_the_delimiter_option_overrides_detection_and_the_error_points_at_it(tmp_path):
    path = write_delimited(tmp_path / "in.csv", [customer(1)], ";")
    result = invoke("import", str(path), "--db", str(tmp_path / "crm.sqlite3"), "--delimiter", ",")
    assert result.exit_code == 1
    assert "unknown column(s): customerId;firstName;lastName" in result.stderr
    assert "the header holds ';': if that separates the columns, pass --delimiter ';'" in result.stderr
    result = invoke("import", str(path), "--db", str(tmp_path / "crm.sqlite3"), "--delimiter", ";")
    assert result.exit_code == 0, result.stderr


def test_an_unknown_delimiter_is_refused_by_the_option(tmp_path):
    result = invoke("import", "x.csv", "--delimiter", "|")
    assert result.exit_code == 2 and "--delimiter" in result.stderr


def test_columns_of_optional_fields_may_be_absent_and_get_their_defaults(tmp_path):
    path = write_csv(tmp_path / "in.csv", [customer(1)], header=["customerId", "phone"])
    import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    record = lookup(tmp_path / "crm.sqlite3", {"phone": customer(1)["phone"]})
    assert record["customerId"] == "C-0000001"
    assert (record["tier"], record["vip"], record["priority"], record["displayName"]) == ("", False, 0, "")


def test_a_re_import_without_a_column_keeps_that_column_s_values(tmp_path):
    db = tmp_path / "crm.sqlite3"
    import_csv(write_csv(tmp_path / "a.csv", [customer(1, tier="platinum", vip="yes")]), db, RULES,
               on_reject=pytest.fail)
    update = write_csv(tmp_path / "b.csv", [{"customerId": "C-0000001", "segment": "enterprise"}, customer(2)],
                       header=["customerId", "segment"])
    import_csv(update, db, RULES, on_reject=pytest.fail)
    kept = lookup(db, {"customerId": "C-0000001"})
    new = lookup(db, {"customerId": "C-0000002"})
    assert (kept["segment"], kept["tier"], kept["vip"], kept["phone"]) == (
        "enterprise", "platinum", True, customer(1)["phone"])
    assert (new["segment"], new["tier"], new["vip"]) == ("consumer", "", False)


def test_unknown_columns_are_listed_and_refused_unless_ignored(tmp_path):
    path = write_csv(tmp_path / "in.csv", [customer(1)], header=[*HEADER, "Shoe size", "Favourite colour"])
    with pytest.raises(ImportFileError) as error:
        import_csv(path, tmp_path / "crm.sqlite3", RULES, on_reject=pytest.fail)
    assert "unknown column(s): Shoe size, Favourite colour" in str(error.value)
    assert "--ignore-unknown" in str(error.value) and "--map" in str(error.value)
    assert not (tmp_path / "crm.sqlite3").exists()
    result = invoke("import", str(path), "--db", str(tmp_path / "crm.sqlite3"), "--ignore-unknown")
    assert result.exit_code == 0, result.stderr
    assert "ignored column(s): Shoe size, Favourite colour" in result.stderr


def test_map_names_other_headers_and_two_headers_for_one_field_are_repeated(tmp_path):
    header = ["Customer ID" if name == "customerId" else "Phone Number" if name == "phone" else name
              for name in HEADER]
    rows = [{("Customer ID" if k == "customerId" else "Phone Number" if k == "phone" else k): v
             for k, v in customer(1).items()}]
    path = write_csv(tmp_path / "in.csv", rows, header=header)
    result = invoke("import", str(path), "--db", str(tmp_path / "crm.sqlite3"),
                    "--map", "Customer ID=customerId", "--map", "Phone Number=phone")
    assert result.exit_code == 0, result.stderr
    assert lookup(tmp_path / "crm.sqlite3", {"phone": customer(1)["phone"]})["customerId"] == "C-0000001"
    with pytest.raises(ImportFileError, match=r"repeated column\(s\): phone"):
        import_csv(path, tmp_path / "other.sqlite3", RULES, on_reject=pytest.fail,
                   header_rules=HeaderRules({"Customer ID": "customerId", "Phone Number": "phone", "email": "phone"}))


@pytest.mark.parametrize(("value", "message"), [
    ("Phone Number", "must look like 'CSV header=field'"),
    ("Phone Number=telephone", "'telephone' is not a field"),
])
def test_a_bad_map_is_a_usage_error(tmp_path, value, message):
    result = invoke("import", "x.csv", "--map", value)
    assert result.exit_code == 2 and message in result.stderr


def test_every_problem_of_a_row_is_reported_not_only_the_first():
    with pytest.raises(RowError) as error:
        validate_row(customer(1, email="nope", phone="12", tier="diamond", priority="500", vip="maybe"), RULES)
    assert str(error.value).split("; ") == [
        "email 'nope' is not an e-mail address",
        "phone '12' is not a valid number for country code +1 (+112)",
        "tier 'diamond' is not one of standard, silver, gold, platinum (COMPANION_TIERS)",
        "priority 500 is outside 0-100",
        "vip 'maybe' is not true/false, yes/no, y/n, t/f or 1/0",
    ]


def test_a_hubspot_export_saved_by_excel_with_semicolons_imports_with_the_fields_file(tmp_path):
    db = tmp_path / "crm.sqlite3"
    result = CliRunner().invoke(cli, ["crm", "import", str(HUBSPOT_CSV), "--db", str(db), "--fields", str(FIELDS),
                                      "--map", "Phone Number=phone"], env={}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "3 customers imported" in result.stdout and "1 rows rejected" in result.stdout
    assert result.stderr.strip() == (
        "line 5: email 'not-an-address' is not an e-mail address; phone '12' is not a valid number for country "
        "code +1 (+112); "
        "loyaltyPoints 'many' is not a whole number; churnRisk 'perhaps' is not true/false, yes/no, y/n, t/f or 1/0"
    )
    custom = load_fields_file(FIELDS).fields
    ada = lookup(db, {"phone": "+13175550142"}, custom)
    charles = lookup(db, {"customerId": "502"}, custom)
    mary = lookup(db, {"email": "mary.somerville@example.org"}, custom)
    assert (ada["loyaltyPoints"], ada["accountManager"], ada["churnRisk"], ada["displayName"]) == (
        1200, "Grace Hopper", False, "Ada Lovelace")
    assert (charles["phone"], charles["accountManager"], charles["churnRisk"]) == ("+13175550143", "Hopper; Grace", True)
    assert (mary["loyaltyPoints"], mary["accountManager"], mary["churnRisk"], mary["segment"]) == (0, "", False, "lead")


# --- progress ------------------------------------------------------------------------------------------


def test_off_a_terminal_a_progress_line_is_printed_every_few_seconds(tmp_path, monkeypatch):
    # Every chunk is "a few seconds" later here; the interval itself is a constant of the command.
    monkeypatch.setattr(crm_cli, "PROGRESS_LINE_INTERVAL_S", 0.0)
    monkeypatch.setattr("service.crm.importer.CHUNK_ROWS", 10)
    path = write_csv(tmp_path / "in.csv", [customer(n) for n in range(1, 31)])
    result = invoke("import", str(path), "--db", str(tmp_path / "crm.sqlite3"))
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("import: ") and "10 rows (" in lines[0] and "rows/s" in lines[0]
    assert "% read" in lines[0] and "0 rejected" in lines[0]
    quiet = invoke("import", str(path), "--db", str(tmp_path / "quiet.sqlite3"), "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_on_a_terminal_a_bar_shows_the_percentage_rate_and_time_left(tmp_path):
    path = write_csv(tmp_path / "in.csv", [customer(n) for n in range(1, 3001)])
    for quiet in (False, True):
        master, slave = pty.openpty()
        process = subprocess.Popen(
            [COMPANION, "crm", "import", str(path), "--db", str(tmp_path / f"crm-{quiet}.sqlite3"),
             *(["--quiet"] if quiet else [])],
            stdout=subprocess.PIPE, stderr=slave, env={k: v for k, v in os.environ.items()
                                                     if not k.startswith("COMPANION_")},
        )
        os.close(slave)
        seen = b""
        while True:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            elif process.poll() is not None:
                break
        assert process.wait(30) == 0
        process.stdout.close()
        os.close(master)
        text = seen.decode(errors="replace")
        if quiet:
            assert text == ""
        else:
            final = text.replace("\r\n", "\r").split("\r")[-2]
            assert final.startswith("import: 100%"), text
            assert "B/s" in final and "<00:00" in final  # rate, then elapsed<left
            assert "3,000 rows read" in final and "rows/s" in final and "0 rejected so far" in final


def test_delimiter_tab_reads_a_tab_separated_file(tmp_path):
    path = write_delimited(tmp_path / "in.tsv", [customer(1, segment="a;b,c")], "\t")
    result = invoke("import", str(path), "--db", str(tmp_path / "crm.sqlite3"), "--delimiter", "tab")
    assert result.exit_code == 0, result.stderr
    assert lookup(tmp_path / "crm.sqlite3", {"customerId": "C-0000001"})["segment"] == "a;b,c"
