"""Summaries of the balance history per local day or month: opening, credits, debits, net,
closing and count, per currency (and optionally per transfer type).

Exact to the minor unit by construction: the opening of the first period is the stored
balance as of its start (an index seek per chain), each period's credits and debits are the
sums of its entries, and each closing is opening + net, which is the next opening. Because
every chain's times rise with its sequence, that closing equals the balance as of the
period's end.

Scope: one account, an account with its sub-accounts, or the whole tenant. The whole tenant
means its customer accounts: the system accounts (`@world`, `@revenue`, `@fees`) mirror
them exactly (double entry), so their total is the customers' total negated, which is how the
tenant's opening is found without a seek per customer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from sqlalchemy import Connection

from tallybook.ledger.history import balances_at
from tallybook.ledger.periods import Granularity, Period, periods
from tallybook.model import TransferType
from tallybook.storage import accounts_repository
from tallybook.storage.summary_repository import EntryScope, PeriodTotals, period_totals


@dataclass(frozen=True, slots=True)
class SummaryQuery:
    """`account_ids` None: the whole tenant's customer accounts. Days are the tenant's."""

    tenant_id: UUID
    account_ids: frozenset[UUID] | None
    granularity: Granularity
    first_day: date
    last_day: date
    currency: str | None = None
    by_type: bool = False


@dataclass(frozen=True, slots=True)
class Totals:
    """Credits (money in) and debits (money out, as a positive number) and how many entries."""

    credits: int = 0
    debits: int = 0
    count: int = 0

    @property
    def net(self) -> int:
        return self.credits - self.debits

    def plus(self, credits: int, debits: int, count: int) -> Totals:
        return Totals(self.credits + credits, self.debits + debits, self.count + count)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One period in one currency; `by_type` is filled when the query asked for it."""

    period: Period
    currency: str
    opening: int
    totals: Totals
    by_type: dict[TransferType, Totals] = field(default_factory=dict)

    @property
    def closing(self) -> int:
        return self.opening + self.totals.net


def summarize(
    connection: Connection, query: SummaryQuery, time_zone: str
) -> tuple[list[Period], list[SummaryRow]]:
    """The periods, and one row per period and currency (period order, then currency).

    A currency appears when the scope had entries in it before the last period ended; every
    period gets a row for it, with zeros when nothing happened. Raises ValidationError for a
    reversed or too long range.
    """
    calendar = periods(query.first_day, query.last_day, query.granularity, time_zone)
    scope, opening = _scope_and_openings(connection, query, calendar[0])
    boundaries = [period.start for period in calendar] + [calendar[-1].end]
    found = period_totals(
        connection, scope, boundaries, currency=query.currency, by_type=query.by_type
    )
    return calendar, _rows(calendar, opening, found)


def _scope_and_openings(
    connection: Connection, query: SummaryQuery, first: Period
) -> tuple[EntryScope, dict[str, int]]:
    if query.account_ids is not None:
        scope = EntryScope(query.tenant_id, query.account_ids)
        at_start = balances_at(
            connection,
            query.tenant_id,
            query.account_ids,
            first.start,
            inclusive=False,
            currency=query.currency,
        )
        return scope, {balance.currency: balance.posted for balance in at_start}
    system_ids = accounts_repository.system_account_ids(connection, query.tenant_id)
    mirror = balances_at(
        connection,
        query.tenant_id,
        system_ids,
        first.start,
        inclusive=False,
        currency=query.currency,
    )
    return (
        EntryScope(query.tenant_id, None, excluded_ids=system_ids),
        {balance.currency: -balance.posted for balance in mirror},
    )


def _rows(
    calendar: Sequence[Period], opening: dict[str, int], found: Sequence[PeriodTotals]
) -> list[SummaryRow]:
    totals: dict[tuple[int, str], Totals] = defaultdict(Totals)
    by_type: dict[tuple[int, str], dict[TransferType, Totals]] = defaultdict(dict)
    for group in found:
        key = (group.period_index, group.currency)
        totals[key] = totals[key].plus(group.credits, group.debits, group.count)
        if group.type is not None:
            by_type[key][TransferType(group.type)] = Totals(
                group.credits, group.debits, group.count
            )
    currencies = sorted(set(opening) | {currency for _, currency in totals})
    running = {currency: opening.get(currency, 0) for currency in currencies}
    rows: list[SummaryRow] = []
    for index, period in enumerate(calendar):
        for currency in currencies:
            key = (index, currency)
            row = SummaryRow(
                period=period,
                currency=currency,
                opening=running[currency],
                totals=totals.get(key, Totals()),
                by_type=dict(sorted(by_type.get(key, {}).items())),
            )
            running[currency] = row.closing
            rows.append(row)
    return rows
