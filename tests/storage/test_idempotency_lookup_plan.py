"""The engine's idempotency lookup on PostgreSQL: one probe of the unique (tenant, key) index
a key, whatever the planner knows about the table.

Why a plan test: twice the same lookup, written in a plainer shape, was planned on a table
without statistics (a server without autovacuum never gathers them) as a scan of every
transfer of the tenant, once for a thousand keys and once for thirty; both were correct and
only slow, growing with the table, so no behaviour test could see them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Connection

from tallybook.ledger import Ledger
from tallybook.storage.posting_repository import claimed_keys_query
from tests.conftest import postgres_database

TRANSFERS_OF_THE_TENANT = 50_000
UNIQUE_INDEX = "uq_transfers_tenant_id_idempotency_key"


def _plan(connection: Connection, query: Select[Any]) -> str:
    rendered = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {rendered}"))


def test_thirty_keys_and_a_thousand_each_probe_the_unique_index(postgres_migrated: str) -> None:
    database = postgres_database(postgres_migrated)
    try:
        with Ledger(database) as ledger:
            shop = ledger.create_tenant("Shop")
            ledger.configure_currency(shop.id, "CNY")
            alice = ledger.create_account(shop.id, "alice", "Alice")
            bob = ledger.create_account(shop.id, "bob", "Bob")
        with database.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO transfers (id, tenant_id, debit_account_id, credit_account_id, "
                "amount, currency, type, status, tags, metadata, idempotency_key, created_at) "
                "SELECT gen_random_uuid(), %(tenant)s, %(debit)s, %(credit)s, 1, 'CNY', "
                "'transfer', 'posted', '[]', '{}', 'key-' || n, now() "
                "FROM generate_series(1, %(count)s) AS n",
                {
                    "tenant": shop.id,
                    "debit": alice.id,
                    "credit": bob.id,
                    "count": TRANSFERS_OF_THE_TENANT,
                },
            )
        with database.engine.connect() as connection:
            plans = {
                count: _plan(
                    connection,
                    claimed_keys_query("postgresql").params(
                        tenant_id=shop.id, keys=[f"key-{n}" for n in range(count)]
                    ),
                )
                for count in (30, 1_000)
            }
    finally:
        database.dispose()

    for count, plan in plans.items():
        assert UNIQUE_INDEX in plan, f"{count} keys:\n{plan}"
        assert "Hash" not in plan and "Bitmap" not in plan, f"{count} keys:\n{plan}"
