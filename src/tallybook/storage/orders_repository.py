"""Orders and their refunds: the store the engine locks and saves them through, and their
reads. An order is named by its order number, unique in the tenant, so two charges of one
number meet on the same record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, insert, select

from tallybook.ledger.queries import Page, Window
from tallybook.storage.listing_repository import (
    by_id,
    has_tag,
    owned_conditions,
    page_of_rows,
    windowed,
)
from tallybook.storage.posting_repository import chunked
from tallybook.storage.record_rows import lock_rows, save_changes
from tallybook.storage.tables import order_refunds, orders
from tallybook.wallet_model import Order, OrderQuery, OrderStatus, Refund


def _from_row(row: Row[Any]) -> Order:
    return Order(
        id=row.id,
        tenant_id=row.tenant_id,
        account_id=row.account_id,
        order_number=row.order_number,
        title=row.title,
        image_url=row.image_url,
        amount=row.amount,
        currency=row.currency,
        country_code=row.country_code,
        tags=tuple(row.tags),
        note=row.note,
        metadata=row.metadata,
        status=OrderStatus(row.status),
        receipt_id=row.receipt_id,
        payment_transfer_id=row.payment_transfer_id,
        refunds=(),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _to_row(order: object) -> dict[str, Any]:
    assert isinstance(order, Order)
    return {
        "id": order.id,
        "tenant_id": order.tenant_id,
        "account_id": order.account_id,
        "order_number": order.order_number,
        "title": order.title,
        "image_url": order.image_url,
        "amount": order.amount,
        "currency": order.currency,
        "country_code": order.country_code,
        "tags": list(order.tags),
        "note": order.note,
        "metadata": dict(order.metadata),
        "status": order.status.value,
        "refunded": order.refunded,
        "receipt_id": order.receipt_id,
        "payment_transfer_id": order.payment_transfer_id,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def _with_refunds(connection: Connection, found: list[Order]) -> list[Order]:
    """The orders with their refunds, oldest first."""
    refunds: defaultdict[UUID, list[Refund]] = defaultdict(list)
    for chunk in chunked(sorted(order.id for order in found)):
        query = (
            select(order_refunds)
            .where(order_refunds.c.order_id.in_(chunk))
            .order_by(order_refunds.c.id)
        )
        for row in connection.execute(query):
            refunds[row.order_id].append(
                Refund(
                    id=row.id,
                    order_id=row.order_id,
                    amount=row.amount,
                    receipt_id=row.receipt_id,
                    transfer_id=row.transfer_id,
                    reason=row.reason,
                    operator=row.operator,
                    created_at=row.created_at,
                )
            )
    return [replace(order, refunds=tuple(refunds[order.id])) for order in found]


class OrderStore:
    """Orders as records of the engine's steps, named by their order number. Refunds are
    written only by steps holding their order's lock."""

    kind = "order"

    def lock(
        self, connection: Connection, tenant_id: UUID, names: Sequence[str]
    ) -> Mapping[str, object]:
        rows = lock_rows(connection, orders, ["order_number"], tenant_id, names)
        found = _with_refunds(connection, [_from_row(row) for row in rows])
        return {order.order_number: order for order in found}

    def save(self, connection: Connection, changes: Sequence[tuple[object | None, object]]) -> None:
        save_changes(connection, orders, changes, _to_row, ("status", "refunded", "updated_at"))
        new_refunds: list[dict[str, Any]] = []
        for before, after in changes:
            assert isinstance(after, Order)
            known = set() if not isinstance(before, Order) else {r.id for r in before.refunds}
            new_refunds.extend(
                _refund_row(after, refund) for refund in after.refunds if refund.id not in known
            )
        if new_refunds:
            connection.execute(insert(order_refunds), new_refunds)


def _refund_row(order: Order, refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "tenant_id": order.tenant_id,
        "order_id": order.id,
        "amount": refund.amount,
        "receipt_id": refund.receipt_id,
        "transfer_id": refund.transfer_id,
        "reason": refund.reason,
        "operator": refund.operator,
        "created_at": refund.created_at,
    }


ORDERS = OrderStore()


def get(connection: Connection, tenant_id: UUID, order_id: UUID) -> Order | None:
    query = select(orders).where(orders.c.id == order_id, orders.c.tenant_id == tenant_id)
    row = connection.execute(query).first()
    return _with_refunds(connection, [_from_row(row)])[0] if row else None


def list_orders(
    connection: Connection, query: OrderQuery, window: Window[UUID]
) -> Page[Order, UUID]:
    conditions = owned_conditions(orders, query)
    if query.status is not None:
        conditions.append(orders.c.status == query.status.value)
    if query.order_number is not None:
        conditions.append(orders.c.order_number == query.order_number)
    if query.country_code is not None:
        conditions.append(orders.c.country_code == query.country_code)
    if query.tag is not None:
        conditions.append(has_tag(connection.dialect.name, orders.c.tags, query.tag))
    statement = windowed(select(orders).where(and_(*conditions)), orders.c.id, window)
    rows = list(connection.execute(statement))
    found = _with_refunds(connection, [_from_row(row) for row in rows])
    return page_of_rows(found, by_id, window)
