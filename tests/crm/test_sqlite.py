"""The SQLite backend over a real database file: lookups by each key, misses, faults, readiness, start-up checks."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from service.config import ConfigError
from service.config import load_settings
from service.crm import build_backend
from service.crm.demo import REGULAR_PHONE
from service.crm.demo import UNKNOWN_PHONE
from service.crm.demo import VIP_PHONE
from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.sqlite import SqliteBackend
from service.crm.sqlite import file_identity
from tests.crm.conftest import customer
from tests.crm.conftest import use_single_column_indexes
from tests.crm.conftest import write_csv

RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
ADA = customer(
    1, customerId="CUST-ADA", firstName="Ada", lastName="Lovelace", email="Ada.Lovelace@Example.com",
    phone="+13175550116", accountNumber="ACC-1815", tier="platinum", vip="yes", priority="95",
    lastContactAt="2025-01-15T15:30:00+01:00",
)


@pytest.fixture
def db(tmp_path):
    rows = [ADA] + [customer(n) for n in range(2, 50)]
    # Two customers share a household phone; the one contacted last wins.
    rows += [
        customer(100, phone="+13175550150", lastContactAt="2023-01-01T00:00:00Z"),
        customer(101, phone="+13175550150", lastContactAt="2024-06-01T00:00:00Z"),
    ]
    path = tmp_path / "crm.sqlite3"
    import_csv(write_csv(tmp_path / "in.csv", rows), path, RULES, on_reject=pytest.fail)
    return path


@pytest.fixture
def backend(db):
    backend = SqliteBackend(db)
    yield backend
    backend.close()


@pytest.mark.parametrize(
    "keys",
    [
        {"customerId": "CUST-ADA"},
        {"phone": "+13175550116"},
        {"email": "ada.lovelace@example.com"},
        {"accountNumber": "ACC-1815"},
    ],
)
def test_lookup_by_each_key_finds_the_customer(backend, keys):
    result = backend.lookup(keys)
    assert (result.found, result.source, result.outcome, result.degraded) == (True, "sqlite", "hit", False)
    assert result.record == {
        "customerId": "CUST-ADA",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "displayName": "Ada Lovelace",
        "email": "Ada.Lovelace@Example.com",
        "phone": "+13175550116",
        "accountNumber": "ACC-1815",
        "tier": "platinum",
        "segment": "consumer",
        "preferredLanguage": "en-US",
        "priority": 95,
        "vip": True,
        "openCases": 2,
        "lastContactAt": "2025-01-15T14:30:00Z",
    }


def test_unknown_keys_are_a_miss_not_an_error(backend):
    result = backend.lookup({"phone": "+13175550199", "email": "nobody@example.com"})
    assert (result.found, result.record, result.outcome, result.degraded) == (False, None, "miss", False)


def test_most_specific_key_wins_and_later_keys_are_tried_after_a_miss(backend):
    both = backend.lookup({"customerId": "C-0000002", "phone": "+13175550116"})
    assert both.record["customerId"] == "C-0000002"
    fallback = backend.lookup({"customerId": "no-such-id", "phone": "+13175550116"})
    assert fallback.record["customerId"] == "CUST-ADA"


def test_shared_phone_answers_the_most_recently_contacted_customer(backend):
    assert backend.lookup({"phone": "+13175550150"}).record["customerId"] == "C-0000101"


def _plans(db) -> dict[str, str]:
    from service.crm.sqlite import select_statements
    from service.crm.sqlite import BUILTIN_FIELDS

    connection = sqlite3.connect(db)
    try:
        return {
            key: " / ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", ("x",)))
            for key, statement in select_statements(BUILTIN_FIELDS).items()
        }
    finally:
        connection.close()


def test_a_lookup_reads_the_most_recent_match_off_its_index_without_sorting(db):
    for key, plan in _plans(db).items():
        assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, (key, plan)


def test_the_next_import_replaces_the_single_column_indexes_of_older_files(db, tmp_path):
    use_single_column_indexes(db)
    assert "TEMP B-TREE" in _plans(db)["phone"]
    import_csv(write_csv(tmp_path / "again.csv", [ADA]), db, RULES, on_reject=pytest.fail)
    connection = sqlite3.connect(db)
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    connection.close()
    assert "customers_phone" not in names and "customers_phone_latest" in names
    assert all("TEMP B-TREE" not in plan for plan in _plans(db).values())
    assert SqliteBackend(db).lookup({"phone": "+13175550150"}).record["customerId"] == "C-0000101"


def test_concurrent_threads_each_get_a_connection_of_their_own(backend):
    results, errors = [], []

    def look():
        try:
            for n in range(2, 50):
                results.append(backend.lookup({"customerId": f"C-{n:07d}"}).found)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [True] * (8 * 48)
    assert 1 <= len(backend._open) <= 8


def test_the_service_cannot_write_the_database(backend, db):
    backend.lookup({"customerId": "CUST-ADA"})
    connection = backend._checkout(file_identity(db))
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        connection.execute("DELETE FROM customers")


def test_readiness_is_none_while_usable_and_the_reason_when_the_file_is_gone(backend, db):
    assert backend.readiness() is None
    db.unlink()
    assert "is missing" in backend.readiness()


def test_a_corrupt_file_answers_degraded_with_outcome_error(tmp_path):
    path = tmp_path / "crm.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    backend = SqliteBackend(path)
    result = backend.lookup({"phone": "+13175550116"})
    assert (result.found, result.degraded, result.outcome, result.source) == (False, True, "error", "sqlite")
    assert "CRM database error" in result.reason
    assert "unusable" in backend.readiness()


def _settings(tmp_path, **env):
    return load_settings({"COMPANION_API_KEYS": "k" * 20, "COMPANION_TRACE_SECRET": "s" * 20, **env})


def test_build_backend_fails_fast_on_a_missing_database(tmp_path):
    settings = _settings(tmp_path, COMPANION_SQLITE_PATH=str(tmp_path / "absent.sqlite3"))
    with pytest.raises(ConfigError) as error:
        build_backend(settings)
    message = str(error.value)
    assert message.startswith("COMPANION_SQLITE_PATH:") and "does not exist" in message
    assert "companion crm import FILE.csv" in message and "companion crm demo" in message


@pytest.mark.parametrize("content", [b"", b"plain text, not SQLite" * 50])
def test_build_backend_refuses_a_file_that_is_not_sqlite(tmp_path, content):
    path = tmp_path / "crm.sqlite3"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="COMPANION_SQLITE_PATH: .*(not a companion CRM database|not a readable)"):
        build_backend(_settings(tmp_path, COMPANION_SQLITE_PATH=str(path)))


def test_build_backend_refuses_another_applications_sqlite_database(tmp_path):
    path = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE customers (id INTEGER)")
    connection.commit()
    connection.close()
    with pytest.raises(ConfigError, match="is not a companion CRM database"):
        build_backend(_settings(tmp_path, COMPANION_SQLITE_PATH=str(path)))


def test_demo_mode_creates_the_demo_database_with_the_sample_callers(tmp_path):
    path = tmp_path / "instance" / "crm.sqlite3"
    backend = build_backend(load_settings({"COMPANION_DEMO": "1", "COMPANION_SQLITE_PATH": str(path)}))
    try:
        vip = backend.lookup({"phone": VIP_PHONE}).record
        regular = backend.lookup({"phone": REGULAR_PHONE}).record
        assert (vip["displayName"], vip["tier"], vip["vip"], vip["preferredLanguage"]) == (
            "Ada Lovelace", "platinum", True, "en-US")
        assert (regular["tier"], regular["vip"]) == ("standard", False)
        assert backend.lookup({"phone": UNKNOWN_PHONE}).found is False
    finally:
        backend.close()
    assert path.is_file()
