"""A tenant with a long balance history, built through the real engine, for the benchmarks.

Atomic batches of 1,000 transfers: each of 200 customers is topped up (10.00 CNY) and then
pays an order (3.50 CNY), so every transfer is accepted and writes two entries.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from tallybook.ledger import CreateTransfer, Ledger, TransferBatch
from tallybook.model import SystemAccount, TransferType
from tallybook.storage import migrate
from tallybook.storage.database import Database

CUSTOMERS = 200
TRANSFERS_PER_BATCH = 1000


@dataclass(frozen=True)
class History:
    tenant_id: UUID
    customers: list[UUID]


def build_history(url: str, entry_count: int) -> History:
    """Migrate the database at `url` and write a tenant with `entry_count` entries."""
    database = Database(url)
    migrate.upgrade(database)
    with Ledger(database) as ledger:
        tenant = ledger.create_tenant("Benchmark shop")
        ledger.configure_currency(tenant.id, "CNY")
        world = ledger.system_account(tenant.id, SystemAccount.WORLD, "CNY").id
        revenue = ledger.system_account(tenant.id, SystemAccount.REVENUE, "CNY").id
        customers = [
            ledger.create_account(tenant.id, f"customer-{n}", f"Customer {n}").id
            for n in range(CUSTOMERS)
        ]
        transfers_left = entry_count // 2
        started = time.perf_counter()
        batch_number = 0
        while transfers_left > 0:
            size = min(TRANSFERS_PER_BATCH, transfers_left)
            members = []
            for n in range(size):
                # each customer pays right after its own top-up
                customer = customers[(batch_number * size + n // 2) % CUSTOMERS]
                if n % 2 == 0:
                    members.append(
                        CreateTransfer(tenant.id, world, customer, Decimal("10.00"), "CNY",
                                       TransferType.TOPUP)
                    )  # fmt: skip
                else:
                    members.append(
                        CreateTransfer(tenant.id, customer, revenue, Decimal("3.50"), "CNY",
                                       TransferType.ORDER_PAYMENT)
                    )  # fmt: skip
            ledger.execute(TransferBatch(tenant.id, tuple(members)))
            transfers_left -= size
            batch_number += 1
            if batch_number % 50 == 0:
                done = entry_count - 2 * transfers_left
                rate = done / (time.perf_counter() - started)
                print(f"  built {done:,} entries ({rate:,.0f}/s)", file=sys.stderr)
    database.dispose()
    return History(tenant.id, customers)
