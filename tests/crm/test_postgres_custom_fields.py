"""Custom fields (a fields file) in the PostgreSQL store, on the real server the suite starts: the import
creates and alters their columns, records them, refuses a changed type; lookups, /v1/customer and /v1/context
answer them typed; start-up refuses a database built with other fields; a table of before custom fields
(schema version 1) is read and migrated; one run through real gunicorn."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import requests
from click.testing import CliRunner

from schemas.fields_file import FieldsConfig
from schemas.fields_file import parse_fields
from service import create_app
from service.cli import cli
from service.config import ConfigError
from service.config import load_settings
from service.crm.importer import ImportFileError
from service.crm.importer import RowRules
from service.crm.postgres import PostgresBackend
from service.crm.postgres_import import import_csv_postgres
from service.crm.postgres_schema import SCHEMA_VERSION
from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.crm.conftest import HEADER
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv
from tests.servers import GunicornServer

COMPANION = str(Path(sys.executable).with_name("companion"))
FILES = Path(__file__).resolve().parent / "files"
TIERS = ("standard", "silver", "gold", "platinum")
AUTH = {"Authorization": f"Bearer {API_KEY}"}
# `order` is an SQL keyword and accountManager is camelCase: both only work as quoted identifiers.
FIELDS_YAML = """\
fields:
  loyaltyPoints: {type: integer, description: Loyalty points balance, minimum: 0}
  accountManager: {type: string, description: Account manager's name}
  churnRisk: {type: boolean, description: At risk of leaving}
  order: {type: string, description: Last order reference}
"""
SPECS = {
    "loyaltyPoints": {"type": "integer", "minimum": 0},
    "accountManager": {"type": "string"},
    "churnRisk": {"type": "boolean"},
    "order": {"type": "string"},
}
NAMES = tuple(SPECS)
CUSTOM = parse_fields({"fields": SPECS}).fields
BIG = 2**40  # beyond a 4-byte integer: the columns are bigint, as the record's 64-bit integers need
_DATABASES = itertools.count()


def rules(custom=CUSTOM) -> RowRules:
    return RowRules(TIERS, "US", tuple(custom))


def custom_csv(path: Path, rows, names=NAMES) -> Path:
    return write_csv(path, rows, header=[*HEADER, *names])


def fields_file(tmp_path: Path, text: str = FIELDS_YAML, name: str = "fields.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def service_env(url: str, fields: Path | None = None) -> dict[str, str]:
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_CRM_BACKEND": "postgres",
           "COMPANION_DATABASE_URL": url}
    if fields is not None:
        env["COMPANION_FIELDS_FILE"] = str(fields)
    return env


def lookup(url: str, keys: dict, custom=CUSTOM) -> dict | None:
    settings = load_settings({"COMPANION_CRM_BACKEND": "postgres", "COMPANION_DATABASE_URL": url}, demo=True,
                             fields=FieldsConfig(tuple(custom)))
    backend = PostgresBackend(settings)
    try:
        result = backend.lookup(keys)
        assert not result.degraded, result.reason
        return result.record
    finally:
        backend.close()


def columns_of(url: str) -> dict[str, str]:
    """Column -> SQL type of the customers table."""
    with psycopg.connect(url) as connection:
        return dict(connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers'"
        ).fetchall())


def recorded_fields(url: str) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT name, type FROM companion_crm_fields ORDER BY position").fetchall()


@pytest.fixture
def url(postgres):
    return postgres.create_database(f"custom_{next(_DATABASES)}")


@pytest.fixture
def imported(url, tmp_path):
    """url holding customer 1 with every custom field set, and customer 2 with none (the real CLI imported it)."""
    rows = [customer(1, loyaltyPoints=str(BIG), accountManager="Grace Hopper", churnRisk="yes", order="SO-77"),
            customer(2, openCases=str(BIG))]
    result = CliRunner().invoke(cli, ["crm", "import", str(custom_csv(tmp_path / "in.csv", rows)), "--database-url",
                                      url, "--fields", str(fields_file(tmp_path)), "--quiet"],
                                env={}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "2 customers imported" in result.stdout and "(new database)" in result.stdout
    return url


# -- the import -------------------------------------------------------------------------------------------------------


def test_an_import_creates_typed_columns_and_records_the_fields(imported):
    types = columns_of(imported)
    assert {name: types[name] for name in NAMES} == {
        "loyaltyPoints": "bigint", "accountManager": "text", "churnRisk": "boolean", "order": "text"}
    assert recorded_fields(imported) == [("loyaltyPoints", "integer"), ("accountManager", "string"),
                                         ("churnRisk", "boolean"), ("order", "string")]
    with psycopg.connect(imported) as connection:
        assert connection.execute("SELECT version FROM companion_crm_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_a_lookup_answers_the_custom_fields_typed_and_defaults_for_a_customer_without_them(imported):
    full = lookup(imported, {"customerId": "C-0000001"})
    assert (full["loyaltyPoints"], full["accountManager"], full["churnRisk"], full["order"]) == (
        BIG, "Grace Hopper", True, "SO-77")
    assert list(full)[-4:] == list(NAMES)
    empty = lookup(imported, {"phone": customer(2)["phone"]})
    assert (empty["loyaltyPoints"], empty["accountManager"], empty["churnRisk"], empty["order"]) == (0, "", False, "")
    assert empty["openCases"] == BIG


def test_the_api_answers_the_custom_fields_with_their_types_and_defaults_on_a_miss(imported, tmp_path):
    client = create_app(load_settings(service_env(imported, fields_file(tmp_path)))).test_client()
    found = client.post("/v1/customer", json={"customerId": "C-0000001"}, headers=AUTH).get_json()
    assert (found["source"], found["loyaltyPoints"], found["churnRisk"], found["order"]) == ("postgres", BIG, True, "SO-77")
    context = client.post("/v1/context", json={"conversationId": "c-1", "phone": customer(1)["phone"]},
                          headers=AUTH).get_json()
    assert (context["loyaltyPoints"], context["accountManager"], context["traceparent"][:3]) == (BIG, "Grace Hopper", "00-")
    miss = client.post("/v1/customer", json={"customerId": "nobody"}, headers=AUTH).get_json()
    no_key = client.post("/v1/context", json={"conversationId": "c-2"}, headers=AUTH).get_json()
    for answer in (miss, no_key):
        assert (answer["found"], answer["loyaltyPoints"], answer["accountManager"], answer["churnRisk"],
                answer["order"]) == (False, 0, "", False, "")


def test_custom_values_obey_the_record_rules(url, tmp_path):
    rejected = []
    rows = [customer(1, loyaltyPoints="-5"), customer(2, churnRisk="maybe"), customer(3, accountManager="=HYPERLINK(1)"),
            customer(4, loyaltyPoints=str(2**63)), customer(5, accountManager="  Ada  ")]
    report = import_csv_postgres(custom_csv(tmp_path / "in.csv", rows), url, rules(), on_reject=rejected.append)
    assert report.imported == 1
    assert [(r.line, r.reason.split(" ", 1)[0]) for r in rejected] == [
        (2, "loyaltyPoints"), (3, "churnRisk"), (4, "accountManager"), (5, "loyaltyPoints")]
    assert lookup(url, {"customerId": "C-0000005"})["accountManager"] == "Ada"


def test_adding_a_field_by_upsert_gives_existing_customers_its_default_and_removing_it_drops_the_column(url, tmp_path):
    import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1), customer(2)]), url, rules(()),
                        on_reject=pytest.fail)
    report = import_csv_postgres(custom_csv(tmp_path / "b.csv", [customer(2, loyaltyPoints="7")], NAMES[:1]), url,
                                 rules(CUSTOM[:1]), on_reject=pytest.fail, upsert=True)
    assert report.migrations == ("added field loyaltyPoints (integer)",)
    assert lookup(url, {"customerId": "C-0000002"}, CUSTOM[:1])["loyaltyPoints"] == 7
    assert lookup(url, {"customerId": "C-0000001"}, CUSTOM[:1])["loyaltyPoints"] == 0
    assert recorded_fields(url) == [("loyaltyPoints", "integer")]
    report = import_csv_postgres(write_csv(tmp_path / "c.csv", [customer(3)]), url, rules(()),
                                 on_reject=pytest.fail, upsert=True)
    assert report.migrations == ("removed field loyaltyPoints",)
    assert "loyaltyPoints" not in columns_of(url) and recorded_fields(url) == []
    assert lookup(url, {"customerId": "C-0000001"}, ())["customerId"] == "C-0000001"


def test_a_replace_import_builds_the_table_with_the_new_fields_and_says_what_changed(imported, tmp_path):
    kept = (CUSTOM[0], CUSTOM[2], *parse_fields({"fields": {"tenure": {"type": "integer"}}}).fields)
    report = import_csv_postgres(custom_csv(tmp_path / "b.csv", [customer(3, tenure="4")],
                                            ("loyaltyPoints", "churnRisk", "tenure")),
                                 imported, rules(kept), on_reject=pytest.fail)
    assert report.migrations == ("added field tenure (integer)", "removed field accountManager", "removed field order")
    assert {"accountManager", "order"}.isdisjoint(columns_of(imported)) and columns_of(imported)["tenure"] == "bigint"
    assert recorded_fields(imported) == [("loyaltyPoints", "integer"), ("churnRisk", "boolean"), ("tenure", "integer")]


@pytest.mark.parametrize("upsert", [False, True])
def test_a_field_that_changes_type_is_refused_in_one_line_and_the_database_is_unchanged(imported, tmp_path, upsert):
    retyped = tmp_path / "retyped.yaml"
    retyped.write_text("fields:\n  loyaltyPoints: {type: string}\n", encoding="utf-8")
    path = custom_csv(tmp_path / "b.csv", [customer(3, loyaltyPoints="x")], ("loyaltyPoints",))
    result = CliRunner().invoke(cli, ["crm", "import", str(path), "--database-url", imported, "--fields", str(retyped),
                                      "--quiet", *(["--upsert"] if upsert else [])], env={}, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "loyaltyPoints is integer in the database and string in the fields file; import into another database, " \
           "or remove the field, import, then add it back" in result.stderr
    assert result.stderr.rstrip().endswith("is unchanged")
    assert lookup(imported, {"customerId": "C-0000001"})["loyaltyPoints"] == BIG
    assert lookup(imported, {"customerId": "C-0000003"}) is None
    assert recorded_fields(imported)[0] == ("loyaltyPoints", "integer")


@pytest.mark.parametrize("upsert", [False, True])
def test_an_import_without_valid_rows_leaves_no_half_migration(imported, tmp_path, upsert):
    extra = parse_fields({"fields": {"tenure": {"type": "integer"}}}).fields
    rejected = []
    report = import_csv_postgres(custom_csv(tmp_path / "b.csv", [customer(3, tenure="soon")], ("tenure",)), imported,
                                 rules((*CUSTOM, *extra)), on_reject=rejected.append, upsert=upsert)
    assert report.imported == 0 and rejected and report.migrations == ()
    assert "tenure" not in columns_of(imported) and len(recorded_fields(imported)) == 4


def test_a_table_from_before_custom_fields_is_read_and_migrated_by_the_next_import(url, tmp_path):
    import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1)]), url, rules(()), on_reject=pytest.fail)
    with psycopg.connect(url, autocommit=True) as connection:  # what a version-1 database looks like
        connection.execute("DROP TABLE companion_crm_fields")
        connection.execute("UPDATE companion_crm_schema SET version = 1")
        connection.execute('ALTER TABLE customers ALTER COLUMN "openCases" TYPE integer, '
                           'ALTER COLUMN priority TYPE integer')
    assert lookup(url, {"customerId": "C-0000001"}, ())["tier"] == "gold"
    with pytest.raises(ConfigError, match=r"was imported with no custom fields, but the fields file defines "
                                          r"loyaltyPoints \(integer\)"):
        create_app(load_settings(service_env(url, fields_file(tmp_path, "fields:\n  loyaltyPoints: {type: integer}\n"))))
    report = import_csv_postgres(custom_csv(tmp_path / "b.csv", [customer(2, churnRisk="y")], ("churnRisk",)), url,
                                 rules(CUSTOM[2:3]), on_reject=pytest.fail, upsert=True)
    assert report.migrations == (f"schema version 1 -> {SCHEMA_VERSION}", "added field churnRisk (boolean)")
    assert lookup(url, {"customerId": "C-0000002"}, CUSTOM[2:3])["churnRisk"] is True
    assert lookup(url, {"customerId": "C-0000001"}, CUSTOM[2:3])["churnRisk"] is False


def test_the_services_read_only_role_can_read_the_recorded_fields(url, postgres, tmp_path):
    import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1)]), url, rules(()), on_reject=pytest.fail)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("DO $$ BEGIN CREATE ROLE companion_fields_reader LOGIN; "
                      "EXCEPTION WHEN duplicate_object THEN END $$")
        admin.execute("GRANT SELECT ON customers, companion_crm_schema TO companion_fields_reader")
        admin.execute("REVOKE ALL ON companion_crm_fields FROM companion_fields_reader")
    import_csv_postgres(custom_csv(tmp_path / "b.csv", [customer(2, loyaltyPoints="3")], NAMES[:1]), url,
                        rules(CUSTOM[:1]), on_reject=pytest.fail)
    reader = url.replace(f"{url.split('://', 1)[1].split('@', 1)[0]}@", "companion_fields_reader@")
    fields = fields_file(tmp_path, "fields:\n  loyaltyPoints: {type: integer}\n")
    # Start-up reads the recorded fields with the service's role.
    client = create_app(load_settings(service_env(reader, fields))).test_client()
    answer = client.post("/v1/customer", json={"customerId": "C-0000002"}, headers=AUTH).get_json()
    assert (answer["found"], answer["loyaltyPoints"]) == (True, 3)


# -- start-up -------------------------------------------------------------------------------------------------------


def test_start_up_refuses_a_database_built_with_other_fields(imported, tmp_path):
    with pytest.raises(ConfigError) as error:
        create_app(load_settings(service_env(imported)))
    message = str(error.value)
    assert message.startswith("COMPANION_DATABASE_URL: 127.0.0.1:") and "\n" not in message
    assert ("was imported with loyaltyPoints (integer), accountManager (string), churnRisk (boolean), order (string), "
            "but the fields file defines no custom fields") in message
    assert "companion crm import --database-url URL --fields FILE" in message


def test_companion_serve_exits_2_with_one_line_when_the_fields_differ(imported, tmp_path):
    other = fields_file(tmp_path, "fields:\n  loyaltyPoints: {type: string}\n", "other.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env.update(service_env(imported, other))
    completed = subprocess.run([COMPANION, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    problems = [line for line in completed.stderr.splitlines() if line.startswith("  ")]
    assert len(problems) == 1, completed.stderr
    assert problems[0].startswith("  COMPANION_DATABASE_URL: 127.0.0.1:")
    assert "but the fields file defines loyaltyPoints (string)" in problems[0]


def test_an_unreadable_fields_file_is_the_one_problem_reported(imported, tmp_path):
    broken = fields_file(tmp_path, "fields:\n  loyaltyPoints: {type: float}\n", "broken.yaml")
    from service.preflight import startup_problems

    _settings, problems = startup_problems(service_env(imported, broken))
    assert len(problems) == 1 and problems[0].startswith("COMPANION_FIELDS_FILE: "), problems


# -- end to end -------------------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_gunicorn_serves_the_custom_fields_of_a_crm_export_imported_into_postgres_by_the_cli(url, tmp_path):
    # The HubSpot-shaped export of tests/crm/files (semicolons, renamed headers, a bad row; SOURCES.md there).
    export, fields = FILES / "hubspot-contacts-semicolon.csv", FILES / "fields.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    done = subprocess.run([COMPANION, "crm", "import", str(export), "--fields", str(fields), "--map",
                           "Phone Number=phone", "--quiet"],
                          env={**env, "COMPANION_CRM_BACKEND": "postgres", "COMPANION_DATABASE_URL": url},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 customers imported" in done.stdout and "1 rows rejected" in done.stdout
    with GunicornServer({**service_env(url, fields), "COMPANION_WORKERS": "1", "COMPANION_THREADS": "2"}) as server:
        def ask(path, body):
            response = requests.post(f"{server.url}{path}", json=body, headers=AUTH, timeout=10)
            assert response.status_code == 200, response.text
            return response.json()

        ada = ask("/v1/context", {"conversationId": "c-9", "phone": "tel:+1-317-555-0142"})
        assert (ada["found"], ada["source"], ada["degraded"], ada["displayName"]) == (
            True, "postgres", False, "Ada Lovelace")
        assert (ada["loyaltyPoints"], ada["accountManager"], ada["churnRisk"]) == (1200, "Grace Hopper", False)
        charles = ask("/v1/customer", {"customerId": "502"})
        assert (charles["loyaltyPoints"], charles["accountManager"], charles["churnRisk"]) == (0, "Hopper; Grace", True)
        mary = ask("/v1/customer", {"email": "MARY.SOMERVILLE@example.org"})
        assert (mary["loyaltyPoints"], mary["accountManager"], mary["churnRisk"]) == (0, "", False)
        alan = ask("/v1/customer", {"customerId": "504"})
        assert (alan["found"], alan["loyaltyPoints"], alan["churnRisk"]) == (False, 0, False)
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200


def test_a_running_service_whose_field_an_import_removed_answers_degraded_and_says_why_on_readyz(imported, tmp_path):
    settings = load_settings(service_env(imported, fields_file(tmp_path)))
    backend = PostgresBackend(settings)
    try:
        assert backend.lookup({"customerId": "C-0000001"}).record["churnRisk"] is True
        assert backend.readiness() is None
        # Adding a field leaves the running service as it was: it does not read the new column.
        more = parse_fields({"fields": {**SPECS, "tenure": {"type": "integer"}}}).fields
        import_csv_postgres(custom_csv(tmp_path / "more.csv", [customer(3, tenure="2")], ("tenure",)), imported,
                            rules(more), on_reject=pytest.fail, upsert=True)
        assert backend.lookup({"customerId": "C-0000003"}).outcome == "hit" and backend.readiness() is None
        import_csv_postgres(write_csv(tmp_path / "fewer.csv", [customer(4)]), imported, rules(CUSTOM[:2]),
                            on_reject=pytest.fail, upsert=True)
        lost = backend.lookup({"customerId": "C-0000001"})
        assert (lost.degraded, lost.outcome) == (True, "error")
        assert "lacks a column the lookups read (an import removed a custom field?)" in lost.reason
        assert backend.readiness() == (
            f"CRM database {backend.target}: the database no longer has the custom field(s) churnRisk (boolean), "
            "order (string) (an import changed its fields); restart the service with the fields file it was "
            "imported with")
    finally:
        backend.close()


def test_a_database_whose_fields_table_was_dropped_is_one_clear_line_at_import_and_at_start_up(imported, tmp_path):
    with psycopg.connect(imported, autocommit=True) as connection:
        connection.execute("DROP TABLE companion_crm_fields")
    with pytest.raises(ImportFileError, match=r'^127\.0\.0\.1:\d+/custom_\d+: relation "companion_crm_fields" does '
                                              r'not exist$'):
        import_csv_postgres(custom_csv(tmp_path / "b.csv", [customer(3)]), imported, rules(), on_reject=pytest.fail)
    with pytest.raises(ConfigError, match=r'^COMPANION_DATABASE_URL: 127\.0\.0\.1:\d+/custom_\d+: relation '
                                          r'"companion_crm_fields" does not exist$'):
        create_app(load_settings(service_env(imported, fields_file(tmp_path))))
