"""`/v1/orders`: orders paid from the balance, and their refunds (see `wallet.orders`).

A key scoped to an account may charge its accounts' orders; a refund moves money out of
`@revenue`, so it needs a key for the whole tenant (the same rule as reversing a payment).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from tallybook.api.caller import Caller, ReadCaller, WriteCaller
from tallybook.api.idempotency import IdempotencyKey
from tallybook.api.openapi import problem_responses
from tallybook.api.pagination import (
    CursorParameter,
    LimitParameter,
    ListPage,
    Order,
    OrderParameter,
    page_of,
    window,
)
from tallybook.api.parameters import OrderIdPath, TagFilter
from tallybook.api.schemas import decimal_of
from tallybook.api.wallet_presenters import WalletPresenter
from tallybook.api.wallet_schemas import OrderCreate, OrderOut, RefundCreate
from tallybook.api.wallet_support import OwnedFilters, answer_step, visible
from tallybook.ledger import errors
from tallybook.ledger.limits import MAX_COUNTRY_CODE_LENGTH, MAX_REFERENCE_LENGTH
from tallybook.ledger.steps import StepResult
from tallybook.wallet import orders
from tallybook.wallet.errors import OrderNotFound
from tallybook.wallet_model import Order as OrderRecord
from tallybook.wallet_model import OrderQuery, OrderStatus

router = APIRouter(prefix="/v1/orders", tags=["orders"])

WRITE_ERRORS = problem_responses(403, 404, 409)


def _answer(caller: Caller, result: StepResult[OrderRecord], response: Response) -> OrderOut:
    return answer_step(caller, result, response, WalletPresenter.order)


def _visible(caller: Caller, order_id: UUID) -> OrderRecord:
    order = orders.get(caller.ledger, caller.tenant_id, order_id)
    return visible(caller, order, OrderNotFound(order_id))


@router.post("", status_code=201, summary="Pay an order from the balance", responses=WRITE_ERRORS)
def charge_order(
    body: OrderCreate,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderOut:
    caller.scope.require_account(body.account_id)
    result = orders.charge(
        caller.ledger,
        caller.tenant_id,
        body.account_id,
        body.order_number,
        body.title,
        decimal_of(body.amount),
        body.currency,
        image_url=body.image_url,
        country_code=body.country_code,
        tags=tuple(body.tags),
        note=body.note,
        metadata=body.metadata,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)


@router.get("/{order_id}", summary="Get an order and its refunds", responses=problem_responses(404))
def get_order(order_id: OrderIdPath, caller: ReadCaller) -> OrderOut:
    order = _visible(caller, order_id)
    return WalletPresenter.for_tenant(caller.ledger, caller.tenant_id).order(order)


@router.get("", summary="List orders with their refunds", responses=problem_responses(404))
def list_orders(
    caller: ReadCaller,
    filters: Annotated[OwnedFilters, Depends()],
    status: Annotated[
        OrderStatus | None,
        Query(description="only orders in this status", examples=["paid"]),
    ] = None,
    order_number: Annotated[
        str | None,
        Query(
            max_length=MAX_REFERENCE_LENGTH,
            description="only the order with this number",
            examples=["ORD-1001"],
        ),
    ] = None,
    country_code: Annotated[
        str | None,
        Query(
            max_length=MAX_COUNTRY_CODE_LENGTH,
            description="only orders for this country",
            examples=["CN"],
        ),
    ] = None,
    tag: TagFilter = None,
    limit: LimitParameter = 100,
    cursor: CursorParameter = None,
    order: OrderParameter = Order.NEWEST_FIRST,
) -> ListPage[OrderOut]:
    query = OrderQuery(
        **filters.query_fields(caller),
        status=status,
        order_number=order_number,
        country_code=country_code,
        tag=tag,
    )
    page = orders.list_page(caller.ledger, query, window(limit, cursor, order, UUID))
    presenter = WalletPresenter.for_tenant(caller.ledger, caller.tenant_id)
    return page_of([presenter.order(o) for o in page.items], page.next_key, order)


@router.post(
    "/{order_id}/refunds",
    status_code=201,
    summary="Refund an order wholly or partly (a key for the whole tenant)",
    responses=WRITE_ERRORS,
)
def refund_order(
    order_id: OrderIdPath,
    caller: WriteCaller,
    response: Response,
    body: RefundCreate | None = None,
    idempotency_key: IdempotencyKey = None,
) -> OrderOut:
    body = body or RefundCreate()
    _visible(caller, order_id)
    if not caller.scope.is_tenant_wide:
        raise errors.Forbidden(
            "a refund pays out of @revenue: it needs a key for the whole tenant",
            field="authorization",
        )
    result = orders.refund(
        caller.ledger,
        caller.tenant_id,
        order_id,
        amount=None if body.amount is None else decimal_of(body.amount),
        reason=body.reason,
        operator=body.operator,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)
