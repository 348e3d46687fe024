"""The engine's batch write on PostgreSQL: the balances it updates are found by their primary
key, one probe a row, whatever the planner knows about the table.

Why a plan test: PostgreSQL estimates every `json_populate_recordset` at 100 rows, and with
that estimate planned the balances UPDATE of a thirty-transfer batch as a hash join over a
sequential scan of every balance row (3.6 ms a batch at 10,000 accounts, growing with them,
while the batch holds its hot account's lock). Correct and only slow, so no behaviour test
could see it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from tallybook.ledger import Ledger
from tallybook.ledger.ids import new_id
from tallybook.storage.posting_repository import batch_write
from tallybook.storage.tables import accounts, balances
from tests.conftest import postgres_database

ACCOUNTS_OF_THE_TENANT = 10_000
BALANCES_A_BATCH_CHANGES = 30


def test_a_batch_updates_its_balances_through_the_primary_key(postgres_migrated: str) -> None:
    database = postgres_database(postgres_migrated)
    now = datetime(2026, 12, 6, tzinfo=UTC)
    try:
        with Ledger(database) as ledger:
            shop = ledger.create_tenant("Shop")
            ledger.configure_currency(shop.id, "CNY")
        account_rows = [_account(shop.id, n, now) for n in range(ACCOUNTS_OF_THE_TENANT)]
        balance_rows = [_balance(row["id"], shop.id, now) for row in account_rows]
        with database.engine.begin() as connection:
            connection.execute(insert(accounts), account_rows)
            connection.execute(insert(balances), balance_rows)
        changed = [
            {**row, "posted": 1, "version": 1} for row in balance_rows[:BALANCES_A_BATCH_CHANGES]
        ]
        write = batch_write([], [], [], [], changed)
        assert write is not None
        with database.engine.connect() as connection:
            plan = "\n".join(
                row[0]
                for row in connection.exec_driver_sql(f"EXPLAIN {write.sql}", write.parameters)
            )
    finally:
        database.dispose()

    assert "Index Scan using pk_balances on balances" in plan, plan
    assert "Seq Scan on balances" not in plan, plan


def _account(tenant_id: Any, number: int, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "number": number + 1,
        "external_id": f"customer-{number}",
        "name": f"Customer {number}",
        "parent_id": None,
        "status": "active",
        "kind": "customer",
        "metadata": {},
        "tags": [],
        "payout_profile": {},
        "created_at": now,
        "updated_at": now,
    }


def _balance(account_id: Any, tenant_id: Any, now: datetime) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "currency": "CNY",
        "tenant_id": tenant_id,
        "posted": 0,
        "held": 0,
        "credit_limit": 0,
        "version": 0,
        "last_sequence": 0,
        "last_entry_hash": None,
        "last_entry_at": None,
        "updated_at": now,
    }
