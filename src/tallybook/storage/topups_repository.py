"""Top-ups: the store the posting engine locks and saves them through, and their reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, Row, and_, func, or_, select

from tallybook.ledger.queries import CountedPage, Page, Slice, Window
from tallybook.storage.listing_repository import by_id, owned_conditions, page_of_rows, windowed
from tallybook.storage.numbers import highest_number
from tallybook.storage.record_rows import lock_rows, save_changes
from tallybook.storage.tables import topups
from tallybook.wallet_model import ConfirmedVia, TopUp, TopUpQuery, TopUpStatus


def _from_row(row: Row[Any]) -> TopUp:
    return TopUp(
        id=row.id,
        tenant_id=row.tenant_id,
        account_id=row.account_id,
        amount=row.amount,
        currency=row.currency,
        channel=row.channel,
        status=TopUpStatus(row.status),
        note=row.note,
        metadata=row.metadata,
        external_reference=row.external_reference,
        receipt_id=row.receipt_id,
        transfer_id=row.transfer_id,
        failure_reason=row.failure_reason,
        confirmed_via=None if row.confirmed_via is None else ConfirmedVia(row.confirmed_via),
        operator=row.operator,
        created_at=row.created_at,
        expires_at=row.expires_at,
        updated_at=row.updated_at,
        number=row.number,
    )


# What a step may change on a top-up after it is made.
_CHANGING = (
    "status",
    "external_reference",
    "receipt_id",
    "transfer_id",
    "failure_reason",
    "confirmed_via",
    "operator",
    "updated_at",
)


def _to_row(topup: object) -> dict[str, Any]:
    assert isinstance(topup, TopUp)
    return {
        "id": topup.id,
        "tenant_id": topup.tenant_id,
        "account_id": topup.account_id,
        "amount": topup.amount,
        "currency": topup.currency,
        "channel": topup.channel,
        "status": topup.status.value,
        "note": topup.note,
        "metadata": dict(topup.metadata),
        "external_reference": topup.external_reference,
        "receipt_id": topup.receipt_id,
        "transfer_id": topup.transfer_id,
        "failure_reason": topup.failure_reason,
        "confirmed_via": None if topup.confirmed_via is None else topup.confirmed_via.value,
        "operator": topup.operator,
        "created_at": topup.created_at,
        "expires_at": topup.expires_at,
        "updated_at": topup.updated_at,
        "number": topup.number,
    }


class TopUpStore:
    """Top-ups as records of the engine's steps, named by their id."""

    kind = "topup"

    def lock(
        self, connection: Connection, tenant_id: UUID, names: Sequence[str]
    ) -> Mapping[str, object]:
        rows = lock_rows(connection, topups, ["id"], tenant_id, [UUID(n) for n in names])
        return {str(row.id): _from_row(row) for row in rows}

    def save(self, connection: Connection, changes: Sequence[tuple[object | None, object]]) -> None:
        save_changes(connection, topups, changes, _to_row, _CHANGING)

    def highest_number(self, connection: Connection, tenant_id: UUID) -> int:
        return highest_number(connection, topups, tenant_id)


TOPUPS = TopUpStore()


def get(connection: Connection, tenant_id: UUID, topup_id: UUID) -> TopUp | None:
    query = select(topups).where(topups.c.id == topup_id, topups.c.tenant_id == tenant_id)
    row = connection.execute(query).first()
    return _from_row(row) if row else None


def get_by_number(connection: Connection, tenant_id: UUID, number: int) -> TopUp | None:
    query = select(topups).where(topups.c.tenant_id == tenant_id, topups.c.number == number)
    row = connection.execute(query).first()
    return _from_row(row) if row else None


def _conditions(query: TopUpQuery, now: datetime) -> list[ColumnElement[bool]]:
    conditions = owned_conditions(topups, query)
    if query.status is not None:
        conditions.append(_seen_as(query.status, now))
    if query.channel is not None:
        conditions.append(topups.c.channel == query.channel)
    return conditions


def slice_topups(
    connection: Connection, query: TopUpQuery, window: Slice, now: datetime
) -> CountedPage[TopUp]:
    """A slice of the top-ups in number order (newest first: highest first), counted."""
    conditions = _conditions(query, now)
    total = connection.execute(select(func.count()).where(*conditions)).scalar_one()
    order = topups.c.number.desc() if window.newest_first else topups.c.number.asc()
    statement = (
        select(topups).where(*conditions).order_by(order).offset(window.offset).limit(window.limit)
    )
    return CountedPage(items=[_from_row(row) for row in connection.execute(statement)], total=total)


def list_topups(
    connection: Connection, query: TopUpQuery, window: Window[UUID], now: datetime
) -> Page[TopUp, UUID]:
    conditions = _conditions(query, now)
    statement = windowed(select(topups).where(and_(*conditions)), topups.c.id, window)
    rows = list(connection.execute(statement))
    return page_of_rows([_from_row(row) for row in rows], by_id, window)


def _seen_as(status: TopUpStatus, now: datetime) -> ColumnElement[bool]:
    """Rows a reader sees with `status`: a pending one past its expiry reads as expired."""
    pending = topups.c.status == TopUpStatus.PENDING.value
    if status is TopUpStatus.PENDING:
        return and_(pending, topups.c.expires_at > now)
    if status is TopUpStatus.EXPIRED:
        return or_(
            topups.c.status == TopUpStatus.EXPIRED.value, and_(pending, topups.c.expires_at <= now)
        )
    return topups.c.status == status.value


def due(connection: Connection, now: datetime, limit: int) -> list[TopUp]:
    """Pending top-ups past their expiry, oldest deadline first (partial index)."""
    query = (
        select(topups)
        .where(topups.c.status == TopUpStatus.PENDING.value, topups.c.expires_at <= now)
        .order_by(topups.c.expires_at)
        .limit(limit)
    )
    return [_from_row(row) for row in connection.execute(query)]
