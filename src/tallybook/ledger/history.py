"""The balance history over time: balances as of a moment.

Built on each chain's stored `balance_after` (the engine keeps chain times rising with their
sequences), so a past balance is one index seek per account and currency, never a sum over
the history, and it reads live and archived rows alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection

from tallybook.ledger import errors
from tallybook.ledger.queries import BalanceAt, EntryQuery, HistorySource
from tallybook.storage import listing_repository
from tallybook.storage.as_of_repository import chain_points, entries_written


def require_aware(moment: datetime, field: str) -> datetime:
    """Refuse a time without a zone: "10:00" means something else in every tenant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise errors.ValidationError(
            "give the time with its offset, e.g. 2026-01-31T23:59:59+08:00 or ...Z", field=field
        )
    return moment


def balances_at(
    connection: Connection,
    tenant_id: UUID,
    account_ids: Collection[UUID],
    moment: datetime,
    *,
    inclusive: bool = True,
    currency: str | None = None,
) -> list[BalanceAt]:
    """Per currency, the accounts' posted balances summed, after every entry stamped at or
    before `moment` (`inclusive`) or strictly before it. Currencies in name order; a currency
    with no entry by then is left out, as is any account that is not the tenant's."""
    posted: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for point in chain_points(
        connection, tenant_id, account_ids, moment, inclusive=inclusive, currency=currency
    ):
        if point.sequence == 0:
            continue
        posted[point.currency] += point.balance
        counts[point.currency] += point.sequence
    return [BalanceAt(code, posted[code], counts[code]) for code in sorted(posted)]


def count_entries(
    connection: Connection, query: EntryQuery, amount_min: int | None, amount_max: int | None
) -> int:
    """How many entries match `query`, exactly.

    Without counting rows when the filters allow it: an entry's sequence is the number of
    entries of its chain up to it, so for accounts, a currency and a time range the count is
    the sum over chains of (sequence at the range's end - sequence at its start), two seeks
    per chain; for a whole tenant with no time range it is the sum of the balance rows' last
    sequences. Any other filter is counted by the database over its index range.
    """
    by_sequence = (
        query.source is HistorySource.ALL
        and amount_min is None
        and amount_max is None
        and all(
            value is None
            for value in (query.type, query.order_number, query.country_code, query.tag)
        )
    )
    account_ids = query.account_ids
    if query.within is not None:
        account_ids = query.within if account_ids is None else account_ids & query.within
    if by_sequence and account_ids is not None:
        upto = _entries_before(
            connection, query.tenant_id, account_ids, query.created_to, query.currency
        )
        if query.created_from is None:
            return upto
        return upto - _entries_before(
            connection, query.tenant_id, account_ids, query.created_from, query.currency
        )
    if by_sequence and query.created_from is None and query.created_to is None:
        return entries_written(connection, query.tenant_id, query.currency)
    return listing_repository.count_entries(connection, query, amount_min, amount_max)


def _entries_before(
    connection: Connection,
    tenant_id: UUID,
    account_ids: Collection[UUID],
    moment: datetime | None,
    currency: str | None,
) -> int:
    """Entries of the accounts stamped strictly before `moment` (None: all of them)."""
    points = chain_points(
        connection, tenant_id, account_ids, moment, inclusive=False, currency=currency
    )
    return sum(point.sequence for point in points)
