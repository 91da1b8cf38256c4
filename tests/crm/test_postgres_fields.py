"""The PostgreSQL store and the CSV features of issue 13: absent columns keep their values on --upsert, and
custom fields, which it does not store yet, are refused with a clear message instead of being dropped."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from click.testing import CliRunner

from service.cli import cli
from service.config import ConfigError
from service.config import load_settings
from service.crm.importer import RowRules
from service.crm.postgres_import import import_csv_postgres
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv

RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
_NAMES = itertools.count()


@pytest.fixture
def url(postgres):
    return postgres.create_database(f"fields_{next(_NAMES)}")


def test_upsert_of_a_file_with_fewer_columns_keeps_the_other_values(url, tmp_path):
    import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1, tier="platinum", vip="yes")]), url, RULES,
                        on_reject=pytest.fail)
    update = write_csv(tmp_path / "b.csv", [{"customerId": "C-0000001", "segment": "enterprise"}, customer(2)],
                       header=["customerId", "segment"])
    import_csv_postgres(update, url, RULES, on_reject=pytest.fail, upsert=True)
    with psycopg.connect(url) as connection:
        rows = connection.execute('SELECT "customerId", segment, tier, vip, phone FROM customers '
                                  'ORDER BY "customerId" COLLATE "C"').fetchall()
    assert rows == [("C-0000001", "enterprise", "platinum", True, customer(1)["phone"]),
                    ("C-0000002", "consumer", "", False, "")]


def test_an_upsert_of_ids_only_adds_customers_and_changes_none(url, tmp_path):
    import_csv_postgres(write_csv(tmp_path / "a.csv", [customer(1)]), url, RULES, on_reject=pytest.fail)
    ids = write_csv(tmp_path / "ids.csv", [customer(1), customer(2)], header=["customerId"])
    import_csv_postgres(ids, url, RULES, on_reject=pytest.fail, upsert=True)
    with psycopg.connect(url) as connection:
        rows = connection.execute('SELECT "customerId", tier FROM customers ORDER BY "customerId" COLLATE "C"').fetchall()
    assert rows == [("C-0000001", "gold"), ("C-0000002", "")]


def test_custom_fields_are_refused_for_postgres_on_import_and_at_start_up(tmp_path):
    fields = tmp_path / "fields.yaml"
    fields.write_text("fields:\n  loyaltyPoints: {type: integer}\n", encoding="utf-8")
    path = write_csv(tmp_path / "in.csv", [customer(1)])
    result = CliRunner().invoke(cli, ["crm", "import", str(path), "--database-url", "postgresql://u@127.0.0.1:1/crm",
                                      "--fields", str(fields)], env={}, catch_exceptions=False)
    assert result.exit_code == 2
    assert "the postgres backend stores the built-in fields only" in result.stderr
    with pytest.raises(ConfigError, match="COMPANION_FIELDS_FILE: the postgres backend stores the built-in fields"):
        load_settings({"COMPANION_CRM_BACKEND": "postgres", "COMPANION_DATABASE_URL": "postgresql://u@h/crm",
                       "COMPANION_FIELDS_FILE": str(fields)}, demo=True)
