"""Custom fields through the service: the API answers, /openapi.json, the SQLite store (migrations, mismatches)
and the HTTP backend's field map."""

from __future__ import annotations

import sqlite3

import pytest

from schemas.fields_file import parse_fields
from service import create_app
from service.config import ConfigError
from service.config import load_settings
from service.crm.importer import ImportFileError
from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.sqlite import SCHEMA_VERSION
from service.crm.sqlite import SqliteBackend
from tests.crm.conftest import HEADER
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv
from tests.crm.http_fixtures import ANN
from tests.crm.http_fixtures import ANN_PHONE
from tests.crm.http_fixtures import backend_env

TIERS = ("standard", "silver", "gold", "platinum")
FIELDS_YAML = """\
fields:
  loyaltyPoints: {type: integer, description: Loyalty points balance, minimum: 0}
  accountManager: {type: string, description: Account manager's name, attribute: crm.accountManager}
  churnRisk: {type: boolean, description: At risk of leaving, path: risk.churn}
"""
CUSTOM = parse_fields({"fields": {
    "loyaltyPoints": {"type": "integer", "description": "Loyalty points balance", "minimum": 0},
    "accountManager": {"type": "string", "description": "Account manager's name"},
    "churnRisk": {"type": "boolean", "description": "At risk of leaving"},
}}).fields
AUTH = {"Authorization": "Bearer test-key-0123456789abcdef"}


def rules(custom=CUSTOM) -> RowRules:
    return RowRules(TIERS, "US", tuple(custom))


def custom_csv(path, rows, names=("loyaltyPoints", "accountManager", "churnRisk")):
    return write_csv(path, rows, header=[*HEADER, *names])


def lookup(db, keys, custom=CUSTOM):
    backend = SqliteBackend(db, tuple(custom))
    try:
        return backend.lookup(keys).record
    finally:
        backend.close()


@pytest.fixture
def fields_file(tmp_path):
    path = tmp_path / "fields.yaml"
    path.write_text(FIELDS_YAML, encoding="utf-8")
    return path


@pytest.fixture
def custom_db(tmp_path):
    db = tmp_path / "crm.sqlite3"
    rows = [customer(1, loyaltyPoints="1200", accountManager="Grace Hopper", churnRisk="yes"), customer(2)]
    import_csv(custom_csv(tmp_path / "in.csv", rows), db, rules(), on_reject=pytest.fail)
    return db


def app_for(db, fields_file, **extra):
    env = {"COMPANION_API_KEYS": "test-key-0123456789abcdef", "COMPANION_TRACE_SECRET": "test-trace-secret-0123456789",
           "COMPANION_SQLITE_PATH": str(db), "COMPANION_FIELDS_FILE": str(fields_file), **extra}
    return create_app(load_settings(env))


def test_the_api_answers_custom_fields_with_their_types(custom_db, fields_file):
    client = app_for(custom_db, fields_file).test_client()
    found = client.post("/v1/customer", json={"customerId": "C-0000001"}, headers=AUTH).get_json()
    assert (found["loyaltyPoints"], found["accountManager"], found["churnRisk"]) == (1200, "Grace Hopper", True)
    assert list(found)[-3:] == ["loyaltyPoints", "accountManager", "churnRisk"]
    context = client.post("/v1/context", json={"conversationId": "c-1", "phone": customer(1)["phone"]},
                          headers=AUTH).get_json()
    assert (context["loyaltyPoints"], context["churnRisk"], context["traceparent"][:3]) == (1200, True, "00-")


def test_custom_fields_are_always_present_with_their_defaults(custom_db, fields_file):
    client = app_for(custom_db, fields_file).test_client()
    empty = client.post("/v1/customer", json={"customerId": "C-0000002"}, headers=AUTH).get_json()
    miss = client.post("/v1/customer", json={"customerId": "nobody"}, headers=AUTH).get_json()
    no_key = client.post("/v1/context", json={"conversationId": "c-2"}, headers=AUTH).get_json()
    for answer in (empty, miss, no_key):
        assert (answer["loyaltyPoints"], answer["accountManager"], answer["churnRisk"]) == (0, "", False)
    assert (empty["found"], miss["found"]) == (True, False)


def test_openapi_documents_the_custom_fields(custom_db, fields_file):
    document = app_for(custom_db, fields_file).test_client().get("/openapi.json").get_json()
    for name in ("CustomerResponse", "ContextResponse"):
        properties = document["components"]["schemas"][name]["properties"]
        assert properties["loyaltyPoints"] == {
            "type": "integer", "title": "Loyalty points", "description": "Loyalty points balance",
            "minimum": 0,
        }
        assert properties["churnRisk"]["type"] == "boolean" and properties["accountManager"]["type"] == "string"


def test_without_a_fields_file_the_answers_have_only_the_built_in_fields(custom_db, tmp_path):
    # The database has custom fields, so the service refuses it rather than answering without them.
    with pytest.raises(ConfigError) as error:
        create_app(load_settings({"COMPANION_SQLITE_PATH": str(custom_db)}, demo=True))
    assert "was imported with loyaltyPoints (integer), accountManager (string), churnRisk (boolean)" in str(error.value)
    assert "the fields file defines no custom fields" in str(error.value)
    assert "companion crm import --fields FILE" in str(error.value)


def test_a_database_built_with_other_fields_stops_start_up(custom_db, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text("fields:\n  loyaltyPoints: {type: string}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"COMPANION_SQLITE_PATH: .* was imported with loyaltyPoints \(integer\), "
                                          r".*but the fields file defines loyaltyPoints \(string\)"):
        app_for(custom_db, other)


def test_adding_a_field_and_re_importing_migrates_an_existing_database(tmp_path):
    db = tmp_path / "crm.sqlite3"
    import_csv(write_csv(tmp_path / "a.csv", [customer(1), customer(2)]), db, rules(()), on_reject=pytest.fail)
    report = import_csv(custom_csv(tmp_path / "b.csv", [customer(2, loyaltyPoints="7")], ("loyaltyPoints",)), db,
                        rules(CUSTOM[:1]), on_reject=pytest.fail)
    assert report.migrations == ("added field loyaltyPoints (integer)",)
    assert lookup(db, {"customerId": "C-0000002"}, CUSTOM[:1])["loyaltyPoints"] == 7
    assert lookup(db, {"customerId": "C-0000001"}, CUSTOM[:1])["loyaltyPoints"] == 0
    # Removing it again drops the column.
    report = import_csv(write_csv(tmp_path / "c.csv", [customer(3)]), db, rules(()), on_reject=pytest.fail)
    assert report.migrations == ("removed field loyaltyPoints",)
    columns = [row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(customers)")]
    assert "loyaltyPoints" not in columns and len(columns) == 15


def test_a_schema_version_1_database_is_read_and_migrated_on_the_next_import(tmp_path):
    db = tmp_path / "v1.sqlite3"
    import_csv(write_csv(tmp_path / "a.csv", [customer(1)]), db, rules(()), on_reject=pytest.fail)
    connection = sqlite3.connect(db)
    connection.execute("DROP TABLE customer_fields")  # what version 1 files look like
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()
    assert lookup(db, {"customerId": "C-0000001"}, ())["tier"] == "gold"
    report = import_csv(custom_csv(tmp_path / "b.csv", [customer(2, churnRisk="y")], ("churnRisk",)), db,
                        rules(CUSTOM[2:]), on_reject=pytest.fail)
    assert report.migrations == (f"schema version 1 -> {SCHEMA_VERSION}", "added field churnRisk (boolean)")
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert lookup(db, {"customerId": "C-0000002"}, CUSTOM[2:])["churnRisk"] is True


def test_a_field_that_changes_type_is_refused_and_the_database_is_unchanged(custom_db, tmp_path):
    retyped = parse_fields({"fields": {"loyaltyPoints": {"type": "string"}}}).fields
    before = lookup(custom_db, {"customerId": "C-0000001"})
    with pytest.raises(ImportFileError, match="loyaltyPoints is integer in the database and string in the fields"):
        import_csv(custom_csv(tmp_path / "b.csv", [customer(3, loyaltyPoints="x")], ("loyaltyPoints",)), custom_db,
                   rules(retyped), on_reject=pytest.fail)
    assert lookup(custom_db, {"customerId": "C-0000001"}) == before


def test_a_failed_import_leaves_no_half_migration(custom_db, tmp_path):
    extra = parse_fields({"fields": {"tenure": {"type": "integer"}}}).fields
    rejected = []
    report = import_csv(custom_csv(tmp_path / "b.csv", [customer(3, tenure="soon")], ("tenure",)), custom_db,
                        rules((*CUSTOM, *extra)), on_reject=rejected.append)
    assert report.imported == 0 and rejected
    columns = [row[1] for row in sqlite3.connect(custom_db).execute("PRAGMA table_info(customers)")]
    assert "tenure" not in columns
    assert lookup(custom_db, {"customerId": "C-0000001"})["loyaltyPoints"] == 1200


def test_custom_integer_bounds_are_checked_on_import(tmp_path):
    rejected = []
    import_csv(custom_csv(tmp_path / "in.csv", [customer(1, loyaltyPoints="-5")], ("loyaltyPoints",)),
               tmp_path / "crm.sqlite3", rules(CUSTOM[:1]), on_reject=rejected.append)
    assert [r.reason for r in rejected] == ["loyaltyPoints -5 is outside >= 0"]


def test_the_demo_database_fills_custom_fields(tmp_path, fields_file):
    env = {"COMPANION_DEMO": "1", "COMPANION_SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
           "COMPANION_FIELDS_FILE": str(fields_file)}
    client = create_app(load_settings(env)).test_client()
    key = client.application.extensions["companion.settings"].api_keys[0]
    answer = client.post("/v1/customer", json={"phone": "+13175550116"},
                         headers={"Authorization": f"Bearer {key}"}).get_json()
    assert answer["found"] and isinstance(answer["loyaltyPoints"], int) and isinstance(answer["churnRisk"], bool)


# --- the HTTP backend ------------------------------------------------------------------------------------


@pytest.fixture
def crm_with_custom_fields():
    from tests.crm_stub import CrmStub

    ann = {**ANN, "loyaltyPoints": "250", "accountManager": "Grace Hopper", "risk": {"churn": "yes"}}
    with CrmStub({ANN_PHONE: ann}) as stub:
        yield stub


def test_the_http_backend_maps_and_types_custom_fields(crm_with_custom_fields, fields_file):
    env = backend_env(crm_with_custom_fields, FIELDS_FILE=str(fields_file),
                      CRM_FIELD_MAP='{"accountManager": "$.accountManager"}')
    client = create_app(load_settings(env)).test_client()
    answer = client.post("/v1/customer", json={"phone": ANN_PHONE}, headers=AUTH).get_json()
    assert answer["source"] == "http"
    # loyaltyPoints by its own name, churnRisk by the fields file's path, accountManager by the field map.
    assert (answer["loyaltyPoints"], answer["churnRisk"], answer["accountManager"]) == (250, True, "Grace Hopper")


def test_the_http_field_map_accepts_custom_fields_and_still_refuses_unknown_ones(crm_with_custom_fields, fields_file):
    env = backend_env(crm_with_custom_fields, FIELDS_FILE=str(fields_file), CRM_FIELD_MAP='{"shoeSize": "shoe"}')
    with pytest.raises(ConfigError, match=r"COMPANION_CRM_FIELD_MAP: unknown field\(s\) shoeSize; fields are: .*"
                                          r"loyaltyPoints, accountManager, churnRisk"):
        create_app(load_settings(env))
