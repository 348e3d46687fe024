"""Withdrawals and their daily totals: the stores the engine locks and saves them through, and
their reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, Row, and_, func, select

from tallybook.ledger.queries import CountedPage, Page, Slice, Window
from tallybook.storage.listing_repository import by_id, owned_conditions, page_of_rows, windowed
from tallybook.storage.numbers import highest_number
from tallybook.storage.record_rows import lock_rows, save_changes
from tallybook.storage.tables import accounts, withdrawal_day_totals, withdrawals
from tallybook.wallet_model import (
    SortKey,
    Withdrawal,
    WithdrawalDayTotal,
    WithdrawalQuery,
    WithdrawalSort,
    WithdrawalStatus,
)


def _from_row(row: Row[Any]) -> Withdrawal:
    return Withdrawal(
        id=row.id,
        tenant_id=row.tenant_id,
        account_id=row.account_id,
        currency=row.currency,
        amount=row.amount,
        fee=row.fee,
        channel=row.channel,
        destination=row.destination,
        status=WithdrawalStatus(row.status),
        note=row.note,
        receipt_id=row.receipt_id,
        payout_hold_id=row.payout_hold_id,
        fee_hold_id=row.fee_hold_id,
        payout_reference=row.payout_reference,
        reason=row.reason,
        operator=row.operator,
        day=row.day,
        created_at=row.created_at,
        updated_at=row.updated_at,
        number=row.number,
    )


def _to_row(withdrawal: object) -> dict[str, Any]:
    assert isinstance(withdrawal, Withdrawal)
    return {
        "id": withdrawal.id,
        "tenant_id": withdrawal.tenant_id,
        "account_id": withdrawal.account_id,
        "currency": withdrawal.currency,
        "amount": withdrawal.amount,
        "fee": withdrawal.fee,
        "channel": withdrawal.channel,
        "destination": dict(withdrawal.destination),
        "status": withdrawal.status.value,
        "note": withdrawal.note,
        "receipt_id": withdrawal.receipt_id,
        "payout_hold_id": withdrawal.payout_hold_id,
        "fee_hold_id": withdrawal.fee_hold_id,
        "payout_reference": withdrawal.payout_reference,
        "reason": withdrawal.reason,
        "operator": withdrawal.operator,
        "day": withdrawal.day,
        "created_at": withdrawal.created_at,
        "updated_at": withdrawal.updated_at,
        "number": withdrawal.number,
    }


# What a step may change on a withdrawal after it is made (an edit: amount, fee, holds,
# destination; a decision: status, reference, reason, operator).
_CHANGING = (
    "amount",
    "fee",
    "destination",
    "status",
    "payout_hold_id",
    "fee_hold_id",
    "payout_reference",
    "reason",
    "operator",
    "updated_at",
)


class WithdrawalStore:
    """Withdrawals as records of the engine's steps, named by their id."""

    kind = "withdrawal"

    def lock(
        self, connection: Connection, tenant_id: UUID, names: Sequence[str]
    ) -> Mapping[str, object]:
        ids = [UUID(name) for name in names]
        rows = lock_rows(connection, withdrawals, ["id"], tenant_id, ids)
        return {str(row.id): _from_row(row) for row in rows}

    def save(self, connection: Connection, changes: Sequence[tuple[object | None, object]]) -> None:
        save_changes(connection, withdrawals, changes, _to_row, _CHANGING)

    def highest_number(self, connection: Connection, tenant_id: UUID) -> int:
        return highest_number(connection, withdrawals, tenant_id)


def day_total_name(account_id: UUID, currency: str, day: str) -> str:
    """The record name of an account's withdrawals total on one day in one currency."""
    return f"{account_id}:{currency}:{day}"


def _day_total_row(total: object) -> dict[str, Any]:
    assert isinstance(total, WithdrawalDayTotal)
    return {
        "tenant_id": total.tenant_id,
        "account_id": total.account_id,
        "currency": total.currency,
        "day": total.day,
        "amount": total.amount,
    }


class WithdrawalDayTotalStore:
    """Daily withdrawal totals, named `account:currency:day`. A day without a row yet has
    nothing to lock: two first requests of a day both insert, and the loser's batch fails on
    the primary key and is retried, reading the winner's row."""

    kind = "withdrawal_day"

    def lock(
        self, connection: Connection, tenant_id: UUID, names: Sequence[str]
    ) -> Mapping[str, object]:
        keys = []
        for name in names:
            account_id, currency, day = name.split(":")
            keys.append((UUID(account_id), currency, day))
        key_columns = ["account_id", "currency", "day"]
        rows = lock_rows(connection, withdrawal_day_totals, key_columns, tenant_id, keys)
        found: dict[str, object] = {}
        for row in rows:
            total = WithdrawalDayTotal(
                tenant_id=row.tenant_id,
                account_id=row.account_id,
                currency=row.currency,
                day=row.day,
                amount=row.amount,
            )
            found[day_total_name(total.account_id, total.currency, total.day)] = total
        return found

    def save(self, connection: Connection, changes: Sequence[tuple[object | None, object]]) -> None:
        save_changes(
            connection,
            withdrawal_day_totals,
            changes,
            _day_total_row,
            ("amount",),
            key_columns=("account_id", "currency", "day"),
        )


WITHDRAWALS = WithdrawalStore()
WITHDRAWAL_DAY_TOTALS = WithdrawalDayTotalStore()


def get(connection: Connection, tenant_id: UUID, withdrawal_id: UUID) -> Withdrawal | None:
    query = select(withdrawals).where(
        withdrawals.c.id == withdrawal_id, withdrawals.c.tenant_id == tenant_id
    )
    row = connection.execute(query).first()
    return _from_row(row) if row else None


def get_by_number(connection: Connection, tenant_id: UUID, number: int) -> Withdrawal | None:
    query = select(withdrawals).where(
        withdrawals.c.tenant_id == tenant_id, withdrawals.c.number == number
    )
    row = connection.execute(query).first()
    return _from_row(row) if row else None


def _conditions(query: WithdrawalQuery) -> list[ColumnElement[bool]]:
    conditions = owned_conditions(withdrawals, query)
    if query.status is not None:
        conditions.append(withdrawals.c.status == query.status.value)
    return conditions


_ACCOUNT_NUMBER = (
    select(accounts.c.number).where(accounts.c.id == withdrawals.c.account_id).scalar_subquery()
)
_SORT_COLUMNS: dict[WithdrawalSort, ColumnElement[Any]] = {
    WithdrawalSort.NUMBER: withdrawals.c.number,
    WithdrawalSort.ACCOUNT_NUMBER: _ACCOUNT_NUMBER,
    WithdrawalSort.AMOUNT: withdrawals.c.amount,
    WithdrawalSort.FEE: withdrawals.c.fee,
    WithdrawalSort.CURRENCY: withdrawals.c.currency,
    WithdrawalSort.STATUS: withdrawals.c.status,
    WithdrawalSort.ALIPAY: withdrawals.c.destination["alipay"].as_string(),
    WithdrawalSort.FULL_NAME: withdrawals.c.destination["full_name"].as_string(),
    WithdrawalSort.CREATED_AT: withdrawals.c.created_at,
    WithdrawalSort.UPDATED_AT: withdrawals.c.updated_at,
}


def slice_withdrawals(
    connection: Connection, query: WithdrawalQuery, window: Slice, sort: Sequence[SortKey]
) -> CountedPage[Withdrawal]:
    """A slice of the withdrawals ordered by `sort`, then by number (newest first: highest
    first), counted. Amounts compare as minor units, which orders them within a currency."""
    conditions = _conditions(query)
    total = connection.execute(select(func.count()).where(*conditions)).scalar_one()
    order = [
        _SORT_COLUMNS[key.field].desc() if key.descending else _SORT_COLUMNS[key.field].asc()
        for key in sort
    ]
    order.append(withdrawals.c.number.desc() if window.newest_first else withdrawals.c.number.asc())
    statement = (
        select(withdrawals)
        .where(*conditions)
        .order_by(*order)
        .offset(window.offset)
        .limit(window.limit)
    )
    return CountedPage(items=[_from_row(row) for row in connection.execute(statement)], total=total)


def list_withdrawals(
    connection: Connection, query: WithdrawalQuery, window: Window[UUID]
) -> Page[Withdrawal, UUID]:
    conditions = _conditions(query)
    statement = windowed(select(withdrawals).where(and_(*conditions)), withdrawals.c.id, window)
    rows = list(connection.execute(statement))
    return page_of_rows([_from_row(row) for row in rows], by_id, window)
