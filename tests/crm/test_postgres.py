"""The PostgreSQL store against a real server: the same answers as SQLite, start-up checks, and what a
database that is down, hung, locked or restarted does to lookups and readiness."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from service import create_app
from service.config import ConfigError
from service.config import load_settings
from service.crm import build_backend
from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.postgres import PostgresBackend
from service.crm.postgres_import import import_csv_postgres
from service.crm.sqlite import SqliteBackend
from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv
from tests.tcp_proxy import TcpProxy

RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
DEADLINE_MS = 400
# Lookups and probes must come back within the deadline; the slack covers a loaded 2-core CI host.
WITHIN_S = DEADLINE_MS / 1000 + 0.25
CUSTOMERS = 40
# Households: several customers on one phone and one e-mail, with equal and different last contacts and
# ids whose byte order differs from a dictionary order (upper before lower case, "_" after letters).
SHARED_PHONE = "+13175550142"
SHARED_EMAIL = "family@example.com"
HOUSEHOLD = [
    customer(901, customerId="c-b", phone=SHARED_PHONE, email=SHARED_EMAIL, lastContactAt="2024-06-01T10:00:00Z"),
    customer(902, customerId="C-a", phone=SHARED_PHONE, email=SHARED_EMAIL, lastContactAt="2024-06-01T10:00:00Z"),
    customer(903, customerId="c_a", phone=SHARED_PHONE, email=SHARED_EMAIL.upper(), lastContactAt="2024-06-01T10:00:00Z"),
    customer(904, customerId="Z-1", phone="+13175550143", email="other@example.com", lastContactAt=""),
    customer(905, customerId="a-1", phone="+13175550143", email="Other@Example.com", lastContactAt=""),
    customer(906, customerId="Ä-1", phone="+13175550144", lastContactAt="2023-01-01T00:00:00+02:00"),
    customer(907, customerId="B-1", phone="+13175550144", lastContactAt="2022-12-31T22:00:00Z"),
]


@pytest.fixture(scope="module")
def rows():
    return [customer(n) for n in range(CUSTOMERS)] + HOUSEHOLD


@pytest.fixture(scope="module")
def crm_url(postgres, rows, tmp_path_factory):
    url = postgres.create_database("backend_tests")
    import_csv_postgres(write_csv(tmp_path_factory.mktemp("pg") / "rows.csv", rows), url, RULES, on_reject=pytest.fail)
    return url


def pg_settings(url: str, **env):
    return load_settings({
        "COMPANION_DEMO": "1", "COMPANION_CRM_BACKEND": "postgres", "COMPANION_DATABASE_URL": url,
        "COMPANION_CRM_DEADLINE_MS": str(DEADLINE_MS), "COMPANION_CRM_CONNECT_TIMEOUT_MS": "150",
        "COMPANION_CRM_BREAKER_FAILURES": "3", "COMPANION_CRM_BREAKER_COOLDOWN_S": "0.3", **env,
    })


@pytest.fixture
def backend(crm_url):
    backend = build_backend(pg_settings(crm_url))
    yield backend
    backend.close()


def proxied(url: str, proxy: TcpProxy) -> str:
    return url.replace(url.split("@", 1)[1].split("/", 1)[0], f"127.0.0.1:{proxy.port}")


def _eventually(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def _timed_lookup(backend, keys):
    started = time.monotonic()
    result = backend.lookup(keys)
    return result, time.monotonic() - started


# -- the same answers as SQLite ---------------------------------------------------------------------------------


def test_every_key_gets_the_same_answer_from_postgres_as_from_sqlite(backend, rows, tmp_path):
    db = tmp_path / "crm.sqlite3"
    import_csv(write_csv(tmp_path / "rows.csv", rows), db, RULES, on_reject=pytest.fail)
    sqlite = SqliteBackend(db)
    try:
        queries = [{"phone": sqlite.lookup({"customerId": row["customerId"]}).record["phone"]} for row in rows]
        queries += [{"customerId": row["customerId"]} for row in rows]
        queries += [{"accountNumber": row["accountNumber"]} for row in rows]
        queries += [{"email": row["email"].lower()} for row in rows if row["email"]]
        queries += [{"customerId": "nobody", "phone": SHARED_PHONE}, {"customerId": "c-B"}, {"email": "none@x.org"}]
        for keys in queries:
            ours, theirs = backend.lookup(keys), sqlite.lookup(keys)
            assert (ours.record, ours.outcome, ours.degraded) == (theirs.record, theirs.outcome, False), keys
    finally:
        sqlite.close()


def test_shared_phone_answers_the_latest_contact_then_the_lowest_id_in_byte_order(backend):
    # Three at the same moment: "C-a" < "c-b" < "c_a" byte by byte (a dictionary order would differ).
    assert backend.lookup({"phone": SHARED_PHONE}).record["customerId"] == "C-a"
    assert backend.lookup({"email": SHARED_EMAIL}).record["customerId"] == "C-a"
    # No last contact for either: the id decides, "Z-1" before "a-1".
    assert backend.lookup({"phone": "+13175550143"}).record["customerId"] == "Z-1"
    # 2023-01-01T00:00+02:00 is 2022-12-31T22:00Z: the same instant, so the id decides again.
    assert backend.lookup({"phone": "+13175550144"}).record["customerId"] == "B-1"


def test_answers_have_our_types_and_the_backend_name(backend):
    result = backend.lookup({"customerId": "C-0000003"})
    assert result.source == "postgres" and result.outcome == "hit"
    record = result.record
    assert (record["priority"], record["vip"], record["openCases"]) == (50, False, 2)
    assert backend.lookup({"customerId": "' OR 1=1 --"}).outcome == "miss"
    assert backend.readiness() is None


# -- start-up -------------------------------------------------------------------------------------------------------


def test_a_database_without_our_tables_stops_start_up_saying_how_to_create_them(postgres):
    url = postgres.create_database("empty_crm")
    with pytest.raises(ConfigError, match=r"COMPANION_DATABASE_URL: .*empty_crm: the database has no companion CRM "
                                          r"tables yet; create it with `companion crm import FILE.csv --database-url URL`"):
        build_backend(pg_settings(url))


def test_a_schema_version_mismatch_stops_start_up_with_both_versions(postgres, tmp_path):
    url = postgres.create_database("future_crm")
    import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1)]), url, RULES, on_reject=pytest.fail)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("UPDATE companion_crm_schema SET version = 7")
    with pytest.raises(ConfigError, match="has CRM schema version 7; this version of the service reads version 2"):
        build_backend(pg_settings(url))


def test_another_applications_customers_table_is_refused(postgres):
    url = postgres.create_database("foreign_crm")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE customers (id serial primary key)")
    with pytest.raises(ConfigError, match="a customers table but no companion_crm_schema table"):
        build_backend(pg_settings(url))


def test_a_database_that_refuses_us_stops_start_up_naming_the_setting(postgres):
    with pytest.raises(ConfigError, match=r'COMPANION_DATABASE_URL: 127\.0\.0\.1:\d+/no_such_db refused the '
                                          r'connection: .*database "no_such_db" does not exist'):
        build_backend(pg_settings(postgres.url("no_such_db")))


@pytest.mark.parametrize("url", ["postgresql://user:s3cret-pw@[::1", "host=db password=s3cret-pw port"])
def test_an_invalid_url_is_a_config_error_that_never_shows_the_password(url):
    with pytest.raises(ConfigError) as caught:
        build_backend(pg_settings(url))
    assert "COMPANION_DATABASE_URL: is not a valid libpq connection string" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_postgres_needs_a_database_url_and_settings_never_show_it():
    with pytest.raises(ConfigError, match="COMPANION_DATABASE_URL: required when COMPANION_CRM_BACKEND=postgres"):
        load_settings({"COMPANION_DEMO": "1", "COMPANION_CRM_BACKEND": "postgres"})
    settings = pg_settings("postgresql://crm:s3cret-pw@db.internal/crm")
    assert "s3cret" not in repr(settings)


# -- down, hung, locked, restarted ----------------------------------------------------------------------------------


def test_an_unreachable_database_at_start_up_answers_degraded_then_recovers_by_itself(crm_url):
    proxy = TcpProxy(("127.0.0.1", int(crm_url.rsplit(":", 1)[1].split("/")[0]))).start()
    try:
        proxy.refuse()
        backend = build_backend(pg_settings(proxied(crm_url, proxy)))  # starts: readiness reports it instead
        try:
            for _ in range(4):
                result, seconds = _timed_lookup(backend, {"customerId": "C-0000001"})
                assert result.degraded and not result.found and seconds < WITHIN_S
                assert result.outcome in ("timeout", "error", "breaker_open")
            assert backend.readiness() is not None
            proxy.resume()
            _eventually(lambda: backend.readiness() is None)
            result = _eventually(lambda: (r := backend.lookup({"customerId": "C-0000001"})).found and r)
            assert not result.degraded and result.source == "postgres"
        finally:
            backend.close()
    finally:
        proxy.stop()


def test_a_hung_database_answers_degraded_inside_the_deadline_and_the_breaker_stops_waiting(crm_url):
    proxy = TcpProxy(("127.0.0.1", int(crm_url.rsplit(":", 1)[1].split("/")[0]))).start()
    backend = build_backend(pg_settings(proxied(crm_url, proxy)))
    try:
        assert backend.lookup({"customerId": "C-0000001"}).found
        proxy.hang()  # connections stay up, nothing answers: no timeout of PostgreSQL's own can fire
        reasons = []
        for _ in range(3):
            result, seconds = _timed_lookup(backend, {"customerId": "C-0000001"})
            assert result.degraded and result.outcome == "timeout" and seconds < WITHIN_S
            reasons.append(result.reason)
        # The first waited on a pooled connection until the deadline shut its socket; the next ones did the
        # same on any other idle connection, or got no connection (new ones hang too).
        no_answer = f"the database gave no answer within {DEADLINE_MS} ms"
        assert reasons[0] == no_answer
        assert set(reasons) <= {no_answer, "no database connection available in time"}
        result, seconds = _timed_lookup(backend, {"customerId": "C-0000001"})
        assert result.outcome == "breaker_open" and seconds < 0.05
        assert "circuit breaker open" in backend.readiness()
        proxy.resume()
        result = _eventually(lambda: (r := backend.lookup({"customerId": "C-0000001"})).found and r)
        assert not result.degraded
    finally:
        backend.close()
        proxy.stop()


def test_a_locked_table_gives_a_timeout_inside_the_deadline_and_the_server_cancels_the_query(crm_url, backend):
    assert backend.lookup({"customerId": "C-0000002"}).found
    with psycopg.connect(crm_url) as locker:
        locker.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")  # held until this transaction ends
        result, seconds = _timed_lookup(backend, {"customerId": "C-0000002"})
        assert result.degraded and result.outcome == "timeout" and seconds < WITHIN_S
        # statement_timeout (deadline less the connect budget): the server itself gives up on the waiting lookup.
        with psycopg.connect(crm_url, autocommit=True) as watcher:
            _eventually(lambda: not watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'architect-companion' "
                "AND wait_event_type = 'Lock'").fetchone()[0], timeout=5)
        locker.rollback()
    assert _eventually(lambda: backend.lookup({"customerId": "C-0000002"}).found)


def test_a_restarted_database_costs_no_failed_lookup(crm_url):
    proxy = TcpProxy(("127.0.0.1", int(crm_url.rsplit(":", 1)[1].split("/")[0]))).start()
    backend = build_backend(pg_settings(proxied(crm_url, proxy)))
    try:
        assert backend.lookup({"customerId": "C-0000001"}).found
        proxy.refuse()  # every pooled connection is cut, as a server restart does
        proxy.resume()
        result = backend.lookup({"customerId": "C-0000001"})
        assert result.found and not result.degraded, result.reason
    finally:
        backend.close()
        proxy.stop()


def test_through_the_app_a_database_outage_is_never_a_5xx_and_readiness_follows_it(crm_url):
    proxy = TcpProxy(("127.0.0.1", int(crm_url.rsplit(":", 1)[1].split("/")[0]))).start()
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_CRM_BACKEND": "postgres",
           "COMPANION_DATABASE_URL": proxied(crm_url, proxy), "COMPANION_CRM_DEADLINE_MS": str(DEADLINE_MS),
           "COMPANION_CRM_CONNECT_TIMEOUT_MS": "150", "COMPANION_CRM_BREAKER_COOLDOWN_S": "0.3"}
    client = create_app(load_settings(env)).test_client()
    auth = {"Authorization": f"Bearer {API_KEY}"}
    try:
        assert client.get("/readyz").status_code == 200
        proxy.refuse()
        for _ in range(6):
            for path in ("/v1/customer", "/v1/context"):
                response = client.post(path, json={"conversationId": "c", "customerId": "C-0000001"}, headers=auth)
                assert response.status_code == 200 and response.get_json()["degraded"] is True
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "CRM" in ready.get_json()["reason"]
        proxy.resume()
        _eventually(lambda: client.get("/readyz").status_code == 200)
        body = client.post("/v1/customer", json={"customerId": "C-0000001"}, headers=auth).get_json()
        assert body["found"] is True and body["degraded"] is False and body["source"] == "postgres"
    finally:
        proxy.stop()


def test_companion_serve_with_a_database_of_another_schema_version_exits_2_naming_the_setting(postgres, tmp_path):
    url = postgres.create_database("serve_future_crm")
    import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1)]), url, RULES, on_reject=pytest.fail)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("UPDATE companion_crm_schema SET version = 3")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env.update({"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
                "COMPANION_CRM_BACKEND": "postgres", "COMPANION_DATABASE_URL": url})
    completed = subprocess.run([str(Path(sys.executable).with_name("companion")), "serve", "--port", "0"],
                               env=env, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "COMPANION_DATABASE_URL: 127.0.0.1:" in completed.stderr
    assert "has CRM schema version 3; this version of the service reads version 2" in completed.stderr


def test_a_service_on_another_backend_never_imports_psycopg(demo_db):
    code = ("import sys; from service import create_app; from service.config import load_settings; "
            f"create_app(load_settings({{'COMPANION_DEMO': '1', 'COMPANION_SQLITE_PATH': {str(demo_db)!r}}})); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')"
            " or m.startswith('service.crm.postgres')))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


LIBPQ_EXAMPLES = (Path(__file__).parent / "libpq-examples" / "connection-strings.txt").read_text().splitlines()


@pytest.mark.parametrize("url", LIBPQ_EXAMPLES)
def test_every_connection_string_of_the_libpq_manual_is_accepted_and_shown_without_its_password(url):
    from psycopg import conninfo

    from service.crm.postgres import connection_string
    from service.crm.postgres import describe_target
    from service.crm.postgres import url_problem

    assert url_problem(url) is None
    assert PostgresBackend(pg_settings(url)).target == describe_target(url)
    assert "secret" not in describe_target(url)
    given, used = conninfo.conninfo_to_dict(url), conninfo.conninfo_to_dict(connection_string(url, 0.15))
    assert {k: v for k, v in used.items() if k in given} == given
    assert used["application_name"] == given.get("application_name", "architect-companion")
    assert used["connect_timeout"] == given.get("connect_timeout", "2")


def test_targets_name_each_host_with_its_port():
    from service.crm.postgres import describe_target

    assert describe_target("postgresql://host1:123,host2:456/somedb") == "host1:123,host2:456/somedb"
    assert describe_target("postgresql://u:pw@[2001:db8::1234]/database") == "[2001:db8::1234]:5432/database"
    assert describe_target("host=a,b port=6432 dbname=crm") == "a:6432,b:6432/crm"
