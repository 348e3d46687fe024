"""Summaries per local day and month agree with the entries to the minor unit.

Hypothesis writes random histories (top-ups, payments, allocations to a sub-account, spread
over days around a daylight-saving change, in zones with odd offsets) and the summary of an
account, of its tree and of the whole tenant must equal sums taken directly over the entries;
every closing must be the next opening and the balance as of the period's end.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.errors import InsufficientFunds, UnknownCurrency, ValidationError
from tallybook.ledger.periods import Granularity
from tallybook.ledger.summaries import SummaryQuery, SummaryRow
from tallybook.model import Entry, SystemAccount, TransferType
from tests.support import ManualClock

START = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # two days before New York's clocks go forward


@dataclass(frozen=True)
class Step:
    minutes_later: int
    kind: str
    amount_cents: int


steps = st.lists(
    st.builds(
        Step,
        minutes_later=st.integers(0, 36 * 60),
        kind=st.sampled_from(["topup", "pay", "allocate", "child_pays", "topup_usd"]),
        amount_cents=st.integers(1, 50_000),
    ),
    min_size=5,
    max_size=40,
)


def check_against_entries(rows: list[SummaryRow], entries: list[Entry]) -> None:
    """Each row is what the entries say, by definition: the opening sums every entry before
    the period, the totals sum those inside it, the closing sums everything up to its end."""
    for row in rows:
        mine = [e for e in entries if e.currency == row.currency]
        inside = [e for e in mine if row.period.start <= e.created_at < row.period.end]
        assert row.opening == sum(e.amount for e in mine if e.created_at < row.period.start)
        assert row.totals.credits == sum(e.amount for e in inside if e.amount > 0)
        assert row.totals.debits == -sum(e.amount for e in inside if e.amount < 0)
        assert row.totals.count == len(inside)
        assert row.closing == sum(e.amount for e in mine if e.created_at < row.period.end)
    covered = {(row.period.start, row.currency) for row in rows}
    periods = sorted({row.period for row in rows}, key=lambda period: period.start)
    for entry in entries:
        holding = [p for p in periods if p.start <= entry.created_at < p.end]
        if holding:
            assert (holding[0].start, entry.currency) in covered


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=steps,
    zone=st.sampled_from(["America/New_York", "Asia/Kathmandu", "Asia/Shanghai", "UTC"]),
    granularity=st.sampled_from(list(Granularity)),
    skip_days=st.integers(0, 3),
)
def test_summary_totals_equal_the_sums_of_the_entries(
    ledger: Ledger,
    clock: ManualClock,
    history: list[Step],
    zone: str,
    granularity: Granularity,
    skip_days: int,
) -> None:
    clock.current = START  # every example is a new tenant, so its chains start afresh
    tenant = ledger.create_tenant("Summaries", time_zone=zone)
    ledger.configure_currency(tenant.id, "CNY")
    ledger.configure_currency(tenant.id, "USD", 3)
    world = {c: ledger.system_account(tenant.id, SystemAccount.WORLD, c).id for c in ("CNY", "USD")}
    revenue = ledger.system_account(tenant.id, SystemAccount.REVENUE, "CNY").id
    alice = ledger.create_account(tenant.id, "alice", "Alice").id
    child = ledger.create_account(tenant.id, "alice-team", "Team", parent_id=alice).id
    bob = ledger.create_account(tenant.id, "bob", "Bob").id
    moves: dict[str, tuple[UUID, UUID, str, TransferType]] = {
        "topup": (world["CNY"], alice, "CNY", TransferType.TOPUP),
        "pay": (alice, revenue, "CNY", TransferType.ORDER_PAYMENT),
        "allocate": (alice, child, "CNY", TransferType.ALLOCATION),
        "child_pays": (child, bob, "CNY", TransferType.ADJUSTMENT),
        "topup_usd": (world["USD"], child, "USD", TransferType.TOPUP),
    }
    ledger.execute(  # money to spend, so that most random payments go through
        CreateTransfer(tenant.id, world["CNY"], alice, Decimal("500"), "CNY", TransferType.TOPUP)
    )
    for step in history:
        clock.advance(step.minutes_later * 60)
        debit, credit, currency, type_ = moves[step.kind]
        amount = Decimal(step.amount_cents).scaleb(-2)
        with contextlib.suppress(InsufficientFunds):  # a random payment may find no money
            ledger.execute(CreateTransfer(tenant.id, debit, credit, amount, currency, type_))
    local_start = START.astimezone(ZoneInfo(zone)).date() + timedelta(days=skip_days)
    first, last = local_start, local_start + timedelta(days=20)

    checked_entries: list[Entry] = []
    for account_ids in ({alice}, {alice, child}, None):
        query = SummaryQuery(
            tenant_id=tenant.id,
            account_ids=None if account_ids is None else frozenset(account_ids),
            granularity=granularity,
            first_day=first,
            last_day=last,
            by_type=True,
        )
        _calendar, rows = ledger.summary(query)
        scope = account_ids if account_ids is not None else {alice, child, bob}
        entries = [e for account in scope for e in ledger.entries(tenant.id, account)]
        assert not rows or len({row.period.label for row in rows}) == len(_calendar)
        check_against_entries(rows, entries)
        checked_entries.extend(entries)
        for row in rows:
            assert sum(t.count for t in row.by_type.values()) == row.totals.count
            assert sum(t.net for t in row.by_type.values()) == row.totals.net
    event(f"entries checked: {min(len(checked_entries) // 10 * 10, 100)}+")


def test_a_month_summary_by_type_in_the_tenant_time_zone(
    ledger: Ledger, clock: ManualClock
) -> None:
    clock.current = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)  # Feb 1st, 01:00 in Shanghai
    tenant = ledger.create_tenant("Shanghai shop", time_zone="Asia/Shanghai")
    ledger.configure_currency(tenant.id, "CNY")
    world = ledger.system_account(tenant.id, SystemAccount.WORLD, "CNY").id
    revenue = ledger.system_account(tenant.id, SystemAccount.REVENUE, "CNY").id
    alice = ledger.create_account(tenant.id, "alice", "Alice").id
    ledger.execute(
        CreateTransfer(tenant.id, world, alice, Decimal("100"), "CNY", TransferType.TOPUP)
    )
    clock.advance(3600)
    ledger.execute(
        CreateTransfer(tenant.id, alice, revenue, Decimal("30"), "CNY", TransferType.ORDER_PAYMENT)
    )

    _calendar, rows = ledger.summary(
        SummaryQuery(
            tenant.id, frozenset({alice}), Granularity.MONTH, date(2026, 1, 1), date(2026, 2, 28),
            by_type=True,
        )
    )  # fmt: skip

    january, february = rows
    assert (january.period.label, january.totals.count, january.closing) == ("2026-01", 0, 0)
    assert (february.opening, february.totals.credits, february.totals.debits) == (0, 10000, 3000)
    assert (february.closing, february.totals.count) == (7000, 2)
    assert february.by_type[TransferType.ORDER_PAYMENT].debits == 3000


def test_a_summary_refuses_a_reversed_or_too_long_range_and_unknown_currencies(
    ledger: Ledger,
) -> None:
    tenant = ledger.create_tenant("T")
    ledger.configure_currency(tenant.id, "CNY")

    def ask(first: date, last: date, granularity: Granularity, currency: str | None = None) -> None:
        ledger.summary(SummaryQuery(tenant.id, None, granularity, first, last, currency))

    with pytest.raises(ValidationError) as reversed_range:
        ask(date(2026, 2, 1), date(2026, 1, 1), Granularity.DAY)
    with pytest.raises(ValidationError) as too_many_days:
        ask(date(2025, 1, 1), date(2026, 1, 2), Granularity.DAY)
    with pytest.raises(UnknownCurrency):
        ask(date(2026, 1, 1), date(2026, 1, 2), Granularity.DAY, "XYZ")
    ask(date(2017, 1, 1), date(2026, 12, 31), Granularity.MONTH)  # 120 months is the most

    assert reversed_range.value.field == too_many_days.value.field == "to"
