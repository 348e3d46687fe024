"""A small demo ledger built through the core, so `make run` shows something real.

Deterministic (seeded) so two runs tell the same story: a tenant with CNY, EUR and USD (three
decimals, as seed 002 shows), customers with sub-accounts, top-ups from `world`, order
payments to `revenue`, a hold posted partly, one voided, a refund by reversal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from tallybook.ledger import CreateTransfer, Ledger, PostPending, ReverseTransfer, VoidPending
from tallybook.ledger.errors import InsufficientFunds
from tallybook.model import References, SystemAccount, Tenant, TransferType

DEMO_TENANT_NAME = "Demo Platform"


@dataclass(frozen=True)
class DemoSummary:
    tenant: Tenant
    accounts: int
    transfers: int


def build_demo(
    ledger: Ledger, *, customers: int = 12, transfers_per_customer: int = 40
) -> DemoSummary:
    randomness = random.Random(20261122)
    tenant = ledger.create_tenant(DEMO_TENANT_NAME, time_zone="Asia/Shanghai")
    for code, decimals in (("CNY", None), ("EUR", None), ("USD", 3)):
        ledger.configure_currency(tenant.id, code, decimals)
    currencies = ("CNY", "EUR", "USD")
    world = {c: ledger.system_account(tenant.id, SystemAccount.WORLD, c).id for c in currencies}
    revenue = {c: ledger.system_account(tenant.id, SystemAccount.REVENUE, c).id for c in currencies}
    customer_ids: list[UUID] = []
    for number in range(customers):
        parent = ledger.create_account(
            tenant.id,
            f"user-{number:04d}",
            f"Customer {number}",
            payout_profile={
                "alipay": f"user{number}@example.com",
                "full_name": f"Customer {number}",
            },
        )
        customer_ids.append(parent.id)
        if number % 4 == 0:
            child = ledger.create_account(
                tenant.id,
                f"user-{number:04d}-sub",
                f"Customer {number} sub-agent",
                parent_id=parent.id,
            )
            customer_ids.append(child.id)

    written = 0
    for account_id in customer_ids:
        currency = randomness.choice(currencies)
        ledger.execute(
            CreateTransfer(
                tenant.id,
                world[currency],
                account_id,
                Decimal(randomness.randint(500, 5000)),
                currency,
                TransferType.TOPUP,
                References(channel=randomness.choice(["alipay", "wechat", "card"])),
            )
        )
        written += 1
        for step in range(transfers_per_customer):
            amount = Decimal(randomness.randint(200, 20000)).scaleb(-2)
            order = References(order_number=f"ORD-{account_id.hex[:6]}-{step}", country_code="US")
            try:
                if step % 10 == 7:
                    hold = ledger.execute(
                        CreateTransfer(
                            tenant.id,
                            account_id,
                            revenue[currency],
                            amount,
                            currency,
                            TransferType.ORDER_PAYMENT,
                            order,
                            pending=True,
                            timeout_seconds=3600,
                        )
                    ).transfer
                    if step % 20 == 7:
                        ledger.execute(PostPending(tenant.id, hold.id, amount - Decimal(1)))
                    else:
                        ledger.execute(VoidPending(tenant.id, hold.id))
                    written += 2
                    continue
                paid = ledger.execute(
                    CreateTransfer(
                        tenant.id,
                        account_id,
                        revenue[currency],
                        amount,
                        currency,
                        TransferType.ORDER_PAYMENT,
                        order,
                    )
                ).transfer
                written += 1
                if step % 13 == 5:
                    ledger.execute(ReverseTransfer(tenant.id, paid.id, note="order cancelled"))
                    written += 1
            except InsufficientFunds:
                ledger.execute(
                    CreateTransfer(
                        tenant.id,
                        world[currency],
                        account_id,
                        Decimal(1000),
                        currency,
                        TransferType.TOPUP,
                        References(channel="bank_transfer"),
                    )
                )
                written += 1
    return DemoSummary(tenant=tenant, accounts=len(customer_ids), transfers=written)
