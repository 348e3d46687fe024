"""The engine's batch statements on PostgreSQL: the rows a batch locks and the balances it
updates are found by their primary key, one probe a row, whatever the planner knows about the
table (here: nothing, as before the first ANALYZE or with autovacuum off).

Why plan tests: each of these was planned as a scan at some time, correct and only slow, so no
behaviour test could see it, while the batch held (or waited for) its hot account's lock:
- the balances UPDATE: PostgreSQL estimates every `json_populate_recordset` at 100 rows, and
  planned a thirty-transfer batch's as a hash join over a sequential scan of every balance
  row (3.6 ms a batch at 10,000 accounts, growing with them);
- the locks, as `id = ANY(:ids)`: a sequential scan of the accounts for 54 ids of 10,000
  (0.78 ms against 0.15 for probes), and every balance in the currency read for 64 (1.03 ms
  against 0.22): a uniform W1 batch of 27 transfers locks 54 accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Select, insert
from sqlalchemy.engine import Connection

from tallybook.ledger import Ledger
from tallybook.ledger.ids import new_id
from tallybook.storage.database import Database
from tallybook.storage.posting_repository import (
    _lock_accounts_query,
    _lock_balances_query,
    batch_write,
)
from tallybook.storage.tables import accounts, balances
from tests.conftest import postgres_database

ACCOUNTS_OF_THE_TENANT = 10_000
BALANCES_A_BATCH_CHANGES = 30
ACCOUNTS_A_BATCH_LOCKS = 64  # a uniform batch of 32 transfers


@dataclass(frozen=True)
class Tenant:
    database: Database
    account_ids: list[UUID]
    balance_rows: list[dict[str, Any]]


@pytest.fixture
def tenant_of_many_accounts(postgres_migrated: str) -> Iterator[Tenant]:
    """10,000 accounts with a CNY balance each, written straight to the tables."""
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
        yield Tenant(database, [row["id"] for row in account_rows], balance_rows)
    finally:
        database.dispose()


def _plan(connection: Connection, sql: str, parameters: Any) -> str:
    return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}", parameters))


def test_a_batch_updates_its_balances_through_the_primary_key(
    tenant_of_many_accounts: Tenant,
) -> None:
    changed = [
        {**row, "posted": 1, "version": 1}
        for row in tenant_of_many_accounts.balance_rows[:BALANCES_A_BATCH_CHANGES]
    ]
    write = batch_write([], [], [], [], changed)
    assert write is not None
    with tenant_of_many_accounts.database.engine.connect() as connection:
        plan = _plan(connection, write.sql, write.parameters)

    assert "Index Scan using pk_balances on balances" in plan, plan
    assert "Seq Scan on balances" not in plan, plan


@pytest.mark.parametrize(
    ("lock_query", "other_parameters", "probe", "scans"),
    [
        (_lock_accounts_query, {}, "Index Scan using pk_accounts on accounts", ["Seq Scan"]),
        (
            _lock_balances_query,
            {"currencies": ["CNY"]},
            "Index Scan using pk_balances on balances",
            ["Seq Scan", "ix_balances_tenant_id_currency"],
        ),
    ],
    ids=["accounts", "balances"],
)
def test_a_batch_locks_its_rows_through_the_primary_key(
    tenant_of_many_accounts: Tenant,
    lock_query: Callable[[], Select[Any]],
    other_parameters: dict[str, Any],
    probe: str,
    scans: list[str],
) -> None:
    wanted = sorted(tenant_of_many_accounts.account_ids[::150][:ACCOUNTS_A_BATCH_LOCKS])
    with tenant_of_many_accounts.database.engine.connect() as connection:
        query = lock_query().compile(dialect=connection.dialect)
        plan = _plan(connection, str(query), {"account_ids": wanted, **other_parameters})

    assert probe in plan, plan
    assert not [scan for scan in scans if scan in plan], plan


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
