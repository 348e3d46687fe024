"""Tallybook databases for the write workloads (W1-W4): a tenant with a write key, 10,000
funded customer accounts and one hot account, made through the ledger core.

Only the account rows are bulk-inserted: the core creates accounts one transaction at a time
(about 4 ms each on PostgreSQL here, 40 s for 10,000), so the suite writes the very rows
`create_account` writes, numbered the same way, in one statement. Every balance is then
funded through the posting engine, so the history and balances are the engine's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import insert

from tallybook.auth.keys import issue_key
from tallybook.ledger import CreateTransfer, Ledger, TransferBatch
from tallybook.ledger.ids import new_id
from tallybook.model import AccountKind, AccountStatus, Role, SystemAccount, TransferType
from tallybook.storage import accounts_repository, migrate
from tallybook.storage.database import Database
from tallybook.storage.tables import accounts

CURRENCY = "CNY"
CUSTOMER_FUNDING = Decimal("1000000.00")
HOT_FUNDING = Decimal("1000000000.00")
FUNDING_BATCH = 1000


@dataclass(frozen=True)
class WriteFixture:
    """What the load scripts need: the key, the customers (ids in a file, one a line) and
    the hot account every W2/W3 transfer debits."""

    tenant_id: UUID
    api_key: str
    customers: list[UUID]
    hot_account: UUID
    accounts_file: Path


def bulk_accounts(ledger: Ledger, tenant_id: UUID, count: int, prefix: str) -> list[UUID]:
    """`count` customer accounts with the rows `Ledger.create_account` writes, in one
    transaction."""
    with ledger.database.write() as connection:
        first_number = accounts_repository.next_account_number(connection, tenant_id)
        now = ledger.clock.now()
        rows: list[dict[str, Any]] = []
        for n in range(count):
            rows.append(
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "number": first_number + n,
                    "external_id": f"{prefix}-{n}",
                    "name": f"Customer {prefix} {n}",
                    "parent_id": None,
                    "status": AccountStatus.ACTIVE.value,
                    "kind": AccountKind.CUSTOMER.value,
                    "metadata": {},
                    "tags": [],
                    "payout_profile": {},
                    "created_at": now,
                    "updated_at": now,
                }
            )
        connection.execute(insert(accounts), rows)
    return [row["id"] for row in rows]


def prepare_write_database(
    url: str, account_count: int, accounts_file: Path, *, fund_customers: bool
) -> WriteFixture:
    """Migrate the empty database at `url` and fill it for the write workloads. Customers
    are funded only when they pay (W1); the hot account always is."""
    database = Database(url)
    migrate.upgrade(database)
    with Ledger(database) as ledger:
        tenant = ledger.create_tenant("Benchmark platform")
        ledger.configure_currency(tenant.id, CURRENCY)
        _record, api_key = issue_key(ledger, tenant.id, "benchmark", Role.WRITE)
        world = ledger.system_account(tenant.id, SystemAccount.WORLD, CURRENCY).id
        hot = ledger.create_account(tenant.id, "hot", "Hot account").id
        customers = bulk_accounts(ledger, tenant.id, account_count, "customer")
        fundings = [(hot, HOT_FUNDING)]
        if fund_customers:
            fundings += [(customer, CUSTOMER_FUNDING) for customer in customers]
        for start in range(0, len(fundings), FUNDING_BATCH):
            members = tuple(
                CreateTransfer(tenant.id, world, account, amount, CURRENCY, TransferType.TOPUP)
                for account, amount in fundings[start : start + FUNDING_BATCH]
            )
            ledger.execute(TransferBatch(tenant.id, members))
    database.dispose()
    accounts_file.write_text("".join(f"{c}\n" for c in customers), encoding="utf-8")
    return WriteFixture(tenant.id, api_key, customers, hot, accounts_file)
