"""Statements: the opening is the balance before the first day, the entries are the range's,
and opening plus entries is the closing, in every currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.errors import AccountNotFound
from tallybook.model import SystemAccount, TransferType
from tests.support import ManualClock


def test_opening_plus_entries_is_closing_at_the_local_day_boundaries(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant = ledger.create_tenant("Shanghai shop", time_zone="Asia/Shanghai")
    ledger.configure_currency(tenant.id, "CNY")
    ledger.configure_currency(tenant.id, "USD", 3)
    world = {c: ledger.system_account(tenant.id, SystemAccount.WORLD, c).id for c in ("CNY", "USD")}
    alice = ledger.create_account(tenant.id, "alice", "Alice").id

    def top_up(amount: str, currency: str = "CNY") -> None:
        ledger.execute(
            CreateTransfer(tenant.id, world[currency], alice, Decimal(amount), currency,
                           TransferType.TOPUP)
        )  # fmt: skip

    clock.current = datetime(2026, 1, 31, 15, 59, 59, tzinfo=UTC)  # Jan 31st, 23:59:59 local
    top_up("10.00")
    clock.current = datetime(2026, 1, 31, 16, 0, tzinfo=UTC)  # Feb 1st, 00:00 local
    top_up("2.50")
    top_up("1.005", "USD")
    clock.current = datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC)  # Feb 28th, 23:59:59 local
    ledger.execute(
        CreateTransfer(tenant.id, alice, world["CNY"], Decimal("4.00"), "CNY",
                       TransferType.WITHDRAWAL)
    )  # fmt: skip
    clock.current = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # March 1st
    top_up("100.00")

    february = ledger.statement(tenant.id, alice, date(2026, 2, 1), date(2026, 2, 28))

    cny, usd = february.sections
    assert (cny.currency, cny.opening, cny.credits, cny.debits, cny.closing) == (
        "CNY", 1000, 250, 400, 850,
    )  # fmt: skip
    assert [line.entry.amount for line in cny.lines] == [250, -400]
    assert cny.closing == cny.lines[-1].entry.balance_after
    assert (usd.opening, [line.entry.amount for line in usd.lines], usd.closing) == (
        0,
        [1005],
        1005,
    )
    only_usd = ledger.statement(tenant.id, alice, date(2026, 2, 1), date(2026, 2, 28), "USD")
    assert [section.currency for section in only_usd.sections] == ["USD"]


def test_a_quiet_period_has_the_same_opening_and_closing(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant = ledger.create_tenant("T")
    ledger.configure_currency(tenant.id, "CNY")
    world = ledger.system_account(tenant.id, SystemAccount.WORLD, "CNY").id
    alice = ledger.create_account(tenant.id, "alice", "Alice").id
    clock.current = datetime(2026, 1, 5, tzinfo=UTC)
    ledger.execute(CreateTransfer(tenant.id, world, alice, Decimal("7"), "CNY", TransferType.TOPUP))

    (section,) = ledger.statement(tenant.id, alice, date(2026, 3, 1), date(2026, 3, 31)).sections

    assert (section.opening, list(section.lines), section.closing) == (700, [], 700)


def test_another_tenants_account_has_no_statement(ledger: Ledger) -> None:
    mine = ledger.create_tenant("Mine")
    theirs = ledger.create_tenant("Theirs")
    account = ledger.create_account(theirs.id, "x", "X").id

    with pytest.raises(AccountNotFound):
        ledger.statement(mine.id, account, date(2026, 1, 1), date(2026, 1, 31))
