"""Account statements: for an account and a range of the tenant's days, per currency, the
opening balance, every entry in order, and the closing balance.

The opening is the stored balance as of the first day's local midnight (one seek per
currency); the closing is the balance after the last entry of the range, which is exactly
opening plus the entries (each entry's balance_after is the previous one's plus its amount).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import Connection

from tallybook.ledger import accounts, errors
from tallybook.ledger.history import balances_at
from tallybook.ledger.periods import Granularity, Period, periods
from tallybook.ledger.queries import EntryQuery, HistoryLine, HistoryPosition, Window
from tallybook.model import Account, Currency, Tenant
from tallybook.storage import accounts_repository, listing_repository

MAX_STATEMENT_ENTRIES = 20_000


@dataclass(frozen=True, slots=True)
class StatementSection:
    """One currency of a statement."""

    currency: str
    decimals: int
    opening: int
    lines: Sequence[HistoryLine]

    @property
    def credits(self) -> int:
        return sum(line.entry.amount for line in self.lines if line.entry.amount > 0)

    @property
    def debits(self) -> int:
        return -sum(line.entry.amount for line in self.lines if line.entry.amount < 0)

    @property
    def closing(self) -> int:
        return self.opening + self.credits - self.debits


@dataclass(frozen=True, slots=True)
class Statement:
    tenant: Tenant
    account: Account
    period: Period
    sections: Sequence[StatementSection]


def build_statement(
    connection: Connection,
    tenant_id: UUID,
    account_id: UUID,
    first_day: date,
    last_day: date,
    currency: str | None = None,
) -> Statement:
    """The statement of `account_id` from `first_day` to `last_day` (local days, included).

    A section per currency the account had used by the end of the range (or just
    `currency`). Raises AccountNotFound, UnknownCurrency, ValidationError when the range is
    reversed or longer than 366 days, or holds more than MAX_STATEMENT_ENTRIES entries (the
    export has no such limit).
    """
    tenant = accounts.require_tenant(connection, tenant_id)
    account = accounts.require_account(connection, tenant_id, account_id)
    days = periods(first_day, last_day, Granularity.DAY, tenant.time_zone)
    period = Period(f"{first_day} to {last_day}", days[0].start, days[-1].end)
    configured = {c.code: c for c in accounts_repository.list_currencies(connection, [tenant_id])}
    if currency is not None and currency not in configured:
        raise errors.UnknownCurrency(currency)
    lines = _lines(connection, tenant_id, account_id, period, currency)
    opening = {
        balance.currency: balance.posted
        for balance in balances_at(
            connection, tenant_id, {account_id}, period.start, inclusive=False, currency=currency
        )
    }
    used = sorted(set(opening) | {line.entry.currency for line in lines})
    return Statement(
        tenant=tenant,
        account=account,
        period=period,
        sections=[_section(configured[code], opening.get(code, 0), lines) for code in used],
    )


def _section(currency: Currency, opening: int, lines: Sequence[HistoryLine]) -> StatementSection:
    return StatementSection(
        currency=currency.code,
        decimals=currency.decimals,
        opening=opening,
        lines=[line for line in lines if line.entry.currency == currency.code],
    )


def _lines(
    connection: Connection,
    tenant_id: UUID,
    account_id: UUID,
    period: Period,
    currency: str | None,
) -> list[HistoryLine]:
    query = EntryQuery(
        tenant_id=tenant_id,
        account_ids=frozenset({account_id}),
        currency=currency,
        created_from=period.start,
        created_to=period.end,
    )
    window: Window[HistoryPosition] = Window(limit=MAX_STATEMENT_ENTRIES, newest_first=False)
    page = listing_repository.list_entries(connection, query, window)
    if page.next_key is not None:
        raise errors.ValidationError(
            f"more than {MAX_STATEMENT_ENTRIES} entries: choose a shorter range or export them",
            field="to",
        )
    return list(page.items)
