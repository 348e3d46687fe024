"""`/v1/topups`: money coming in through payment channels (see `wallet.topups`).

A write key starts a top-up; an admin key confirms it with the channel's payment reference,
or the channel confirms it itself through `/v1/callbacks` (see `callbacks`).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from tallybook.api.caller import AdminCaller, Caller, ReadCaller, WriteCaller
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
from tallybook.api.parameters import ChannelFilter, TopUpIdPath
from tallybook.api.schemas import decimal_of
from tallybook.api.wallet_presenters import WalletPresenter
from tallybook.api.wallet_schemas import TopUpConfirm, TopUpCreate, TopUpFail, TopUpOut
from tallybook.api.wallet_support import OwnedFilters, answer_step, visible
from tallybook.ledger.steps import StepResult
from tallybook.wallet import topups
from tallybook.wallet.errors import TopUpNotFound
from tallybook.wallet_model import TopUp, TopUpQuery, TopUpStatus

router = APIRouter(prefix="/v1/topups", tags=["top-ups"])

WRITE_ERRORS = problem_responses(403, 404, 409)


def _answer(caller: Caller, result: StepResult[TopUp], response: Response) -> TopUpOut:
    now = caller.ledger.clock.now()
    return answer_step(caller, result, response, lambda p, topup: p.topup(topup, now))


def _visible(caller: Caller, topup_id: UUID) -> TopUp:
    topup = topups.get(caller.ledger, caller.tenant_id, topup_id)
    return visible(caller, topup, TopUpNotFound(topup_id))


@router.post("", status_code=201, summary="Start a top-up (pending)", responses=WRITE_ERRORS)
def create_topup(
    body: TopUpCreate,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TopUpOut:
    caller.scope.require_account(body.account_id)
    result = topups.create(
        caller.ledger,
        caller.tenant_id,
        body.account_id,
        decimal_of(body.amount),
        body.currency,
        body.channel,
        note=body.note,
        metadata=body.metadata,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)


@router.get("/{topup_id}", summary="Get a top-up", responses=problem_responses(404))
def get_topup(topup_id: TopUpIdPath, caller: ReadCaller) -> TopUpOut:
    topup = _visible(caller, topup_id)
    presenter = WalletPresenter.for_tenant(caller.ledger, caller.tenant_id)
    return presenter.topup(topup, caller.ledger.clock.now())


@router.get("", summary="List top-ups", responses=problem_responses(404))
def list_topups(
    caller: ReadCaller,
    filters: Annotated[OwnedFilters, Depends()],
    status: Annotated[
        TopUpStatus | None,
        Query(
            description="only top-ups in this status, as a reader sees it: a pending top-up "
            "past its expiry counts as `expired`",
            examples=["pending"],
        ),
    ] = None,
    channel: ChannelFilter = None,
    limit: LimitParameter = 100,
    cursor: CursorParameter = None,
    order: OrderParameter = Order.NEWEST_FIRST,
) -> ListPage[TopUpOut]:
    query = TopUpQuery(**filters.query_fields(caller), status=status, channel=channel)
    page = topups.list_page(caller.ledger, query, window(limit, cursor, order, UUID))
    presenter = WalletPresenter.for_tenant(caller.ledger, caller.tenant_id)
    now = caller.ledger.clock.now()
    return page_of([presenter.topup(t, now) for t in page.items], page.next_key, order)


@router.post(
    "/{topup_id}/confirm",
    summary="Confirm a top-up was paid: credits it once (admin)",
    responses=WRITE_ERRORS,
)
def confirm_topup(
    topup_id: TopUpIdPath,
    body: TopUpConfirm,
    caller: AdminCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TopUpOut:
    _visible(caller, topup_id)
    result = topups.confirm(
        caller.ledger,
        caller.tenant_id,
        topup_id,
        body.external_reference,
        note=body.note,
        operator=body.operator,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)


@router.post("/{topup_id}/fail", summary="Mark a top-up failed (admin)", responses=WRITE_ERRORS)
def fail_topup(
    topup_id: TopUpIdPath,
    caller: AdminCaller,
    response: Response,
    body: TopUpFail | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TopUpOut:
    body = body or TopUpFail()
    _visible(caller, topup_id)
    result = topups.fail(
        caller.ledger,
        caller.tenant_id,
        topup_id,
        reason=body.reason,
        operator=body.operator,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)
