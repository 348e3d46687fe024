"""Credits, debits and counts of the balance history per period, currency (and type), summed
by the database in one pass over the period's rows (live and archived)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    case,
    func,
    literal,
    null,
    select,
    union_all,
)

from tallybook.storage.history_sources import history_tables
from tallybook.storage.tables import transfers


@dataclass(frozen=True, slots=True)
class EntryScope:
    """Whose entries: these accounts, or (`account_ids` None) every account of the tenant
    but `excluded_ids`."""

    tenant_id: UUID
    account_ids: Collection[UUID] | None
    excluded_ids: Collection[UUID] = ()


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    period_index: int
    currency: str
    type: str | None
    credits: int
    debits: int
    count: int


def _period_index(created_at: Any, boundaries: Sequence[datetime], lo: int, hi: int) -> Any:
    """Which period [boundaries[i], boundaries[i+1]) a row falls in, as a balanced tree of
    CASEs: log2(periods) comparisons per row instead of one per period."""
    if hi - lo == 1:
        return literal(lo)
    middle = (lo + hi) // 2
    return case(
        (
            created_at < boundaries[middle],
            _period_index(created_at, boundaries, lo, middle),
        ),
        else_=_period_index(created_at, boundaries, middle, hi),
    )


def _scope_conditions(table: Table, scope: EntryScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [table.c.tenant_id == scope.tenant_id]
    if scope.account_ids is not None:
        conditions.append(table.c.account_id.in_(sorted(scope.account_ids)))
    if scope.excluded_ids:
        conditions.append(table.c.account_id.not_in(sorted(scope.excluded_ids)))
    return conditions


def period_totals(
    connection: Connection,
    scope: EntryScope,
    boundaries: Sequence[datetime],
    *,
    currency: str | None = None,
    by_type: bool = False,
) -> list[PeriodTotals]:
    """Per period (boundaries[i] to boundaries[i+1]), currency and, with `by_type`, transfer
    type: the sum of credits (positive amounts), of debits (as a positive number) and the
    number of entries. Only groups with entries are returned."""
    branches: list[Select[Any]] = []
    for table in history_tables():
        period = _period_index(table.c.created_at, boundaries, 0, len(boundaries) - 1)
        conditions = [
            *_scope_conditions(table, scope),
            table.c.created_at >= boundaries[0],
            table.c.created_at < boundaries[-1],
        ]
        if currency is not None:
            conditions.append(table.c.currency == currency)
        source: Any = table
        if by_type:
            source = table.join(transfers, transfers.c.id == table.c.transfer_id)
        branches.append(
            select(
                period.label("period_index"),
                table.c.currency.label("currency"),
                (transfers.c.type if by_type else null()).label("type"),
                table.c.amount.label("amount"),
            )
            .select_from(source)
            .where(*conditions)
        )
    rows = union_all(*branches).subquery("history_rows")
    query = select(
        rows.c.period_index,
        rows.c.currency,
        rows.c.type,
        func.sum(case((rows.c.amount > 0, rows.c.amount), else_=0)).label("credits"),
        func.sum(case((rows.c.amount < 0, -rows.c.amount), else_=0)).label("debits"),
        func.count().label("entry_count"),
    ).group_by(rows.c.period_index, rows.c.currency, rows.c.type)
    return [
        PeriodTotals(
            int(row.period_index),
            row.currency,
            row.type,
            int(row.credits),
            int(row.debits),
            int(row.entry_count),
        )
        for row in connection.execute(query)
    ]
