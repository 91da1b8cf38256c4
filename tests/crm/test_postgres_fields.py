"""The PostgreSQL store and the CSV features of issue 13: absent columns keep their values on --upsert (custom
fields: tests/crm/test_postgres_custom_fields.py)."""

from __future__ import annotations

import itertools

import psycopg
import pytest

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

