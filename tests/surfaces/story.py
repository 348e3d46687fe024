"""One set of data that every surface is read against: an agent with a sub-agent (seed 002's
shape), a division on its own (seed 001's client sends no container_id), and a history with
every transfer type, in a tenant whose clock is eight hours ahead of UTC.

Built through the core with a clock the story moves, so ids, numbers and times are the same
on every run and on both databases; the golden files depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tallybook.auth.keys import issue_key
from tallybook.ledger import CreateTransfer, Ledger, PostPending, ReverseTransfer
from tallybook.model import References, Role, SystemAccount, Tenant, TransferType
from tests.support import ManualClock

TIME_ZONE = "Asia/Shanghai"
# 23:50 in Shanghai on 31 January: the story crosses local midnight into February.
STORY_START = datetime(2026, 1, 31, 15, 50, tzinfo=UTC)


@dataclass(frozen=True)
class Story:
    tenant: Tenant
    agent: UUID  # number 1, "atest001", with the sub-agent below it
    sub_agent: UUID  # number 2, "222个"
    division: UUID  # number 3, "Example Division", alone
    agent_key: str  # read, scoped to the agent (and so the sub-agent)
    sub_agent_key: str  # read, scoped to the sub-agent
    division_key: str  # read, scoped to the division: one container
    writer_key: str  # write, scoped to the agent
    admin_key: str  # admin, the whole tenant
    ended_at: datetime  # the clock when the story was told


def tell(ledger: Ledger, clock: ManualClock) -> Story:
    clock.current = STORY_START
    tenant = ledger.create_tenant("Seed Story", time_zone=TIME_ZONE)
    ledger.configure_currency(tenant.id, "USD", 3)
    ledger.configure_currency(tenant.id, "CNY")
    agent = ledger.create_account(
        tenant.id,
        "agent-2",
        "atest001",
        payout_profile={"alipay": "atest001@example.com", "full_name": "A. Test"},
    )
    sub_agent = ledger.create_account(tenant.id, "agent-68", "222个", parent_id=agent.id)
    division = ledger.create_account(tenant.id, "division-11223", "Example Division")
    usd = {which: ledger.system_account(tenant.id, which, "USD").id for which in SystemAccount}
    cny = {which: ledger.system_account(tenant.id, which, "CNY").id for which in SystemAccount}

    def move(
        debit: UUID,
        credit: UUID,
        amount: str,
        kind: TransferType,
        currency: str = "USD",
        *,
        pending: bool = False,
        **references: Any,
    ) -> UUID:
        clock.advance(60)
        command = CreateTransfer(
            tenant.id,
            debit,
            credit,
            Decimal(amount),
            currency,
            kind,
            References(**references),
            pending=pending,
        )
        return ledger.execute(command).transfer.id

    world, revenue, fees = (
        usd[SystemAccount.WORLD],
        usd[SystemAccount.REVENUE],
        usd[SystemAccount.FEES],
    )
    move(
        world,
        agent.id,
        "50237.370",
        TransferType.TOPUP,
        channel="card",
        receipt_id="CARD-1",
        note="Initial deposit for account.",
    )
    move(
        agent.id,
        revenue,
        "20",
        TransferType.ORDER_PAYMENT,
        order_number="Po022304190112047",
        receipt_id="121212",
        invoice_id="91",
        country_code="GB",
        tags=("usage",),
        note="Auto-debit: order from account balance",
        operator="atest001",
    )
    paid = move(
        agent.id,
        revenue,
        "5.75",
        TransferType.ORDER_PAYMENT,
        order_number="Po022304192312035",
        receipt_id="121213",
        invoice_id="91",
        country_code="US",
        tags=("usage", "promo"),
    )
    move(
        revenue,
        agent.id,
        "5.75",
        TransferType.REFUND,
        order_number="Po022304192312035",
        invoice_id="91",
        country_code="US",
        note="Returned by the system",
    )
    move(agent.id, sub_agent.id, "1", TransferType.ALLOCATION, order_number="Pr022304192354306")
    move(
        sub_agent.id,
        usd[SystemAccount.REVENUE],
        "0.5",
        TransferType.ORDER_PAYMENT,
        order_number="Po022304200000001",
        country_code="US",
    )
    payout = move(
        agent.id,
        world,
        "100",
        TransferType.WITHDRAWAL,
        pending=True,
        channel="alipay",
        note="Payout to Alipay",
    )
    clock.advance(60)
    ledger.execute(PostPending(tenant.id, payout, note="Paid out", operator="finance"))
    move(world, agent.id, "20", TransferType.ADJUSTMENT, note="Goodwill credit", operator="finance")
    move(agent.id, fees, "1.5", TransferType.FEE, note="Payout fee")
    cancelled = move(
        agent.id,
        revenue,
        "5.175",
        TransferType.ORDER_PAYMENT,
        order_number="Po022304190113573",
        receipt_id="121214",
        country_code="US",
    )
    clock.advance(60)
    ledger.execute(ReverseTransfer(tenant.id, cancelled, note="Order cancelled"))
    move(agent.id, world, "30", TransferType.WITHDRAWAL, pending=True, channel="alipay")
    move(
        cny[SystemAccount.WORLD],
        division.id,
        "600.00",
        TransferType.TOPUP,
        "CNY",
        note="Initial deposit for account.",
    )
    move(
        division.id,
        cny[SystemAccount.REVENUE],
        "157.00",
        TransferType.ORDER_PAYMENT,
        "CNY",
        order_number="12345",
        receipt_id="121213",
        note="Auto-debit: enterprise order from account balance",
    )
    move(
        cny[SystemAccount.WORLD],
        division.id,
        "98.00",
        TransferType.TOPUP,
        "CNY",
        note="Payment for invoice #100006",
    )
    assert paid  # the order that was refunded stays paid: a refund is its own transfer

    def key(name: str, role: Role, account: UUID | None) -> str:
        return issue_key(ledger, tenant.id, name, role, account)[1]

    return Story(
        tenant=tenant,
        agent=agent.id,
        sub_agent=sub_agent.id,
        division=division.id,
        agent_key=key("agent", Role.READ, agent.id),
        sub_agent_key=key("sub-agent", Role.READ, sub_agent.id),
        division_key=key("division", Role.READ, division.id),
        writer_key=key("agent writer", Role.WRITE, agent.id),
        admin_key=key("finance", Role.ADMIN, None),
        ended_at=clock.now(),
    )
