"""`/v1/withdrawals`: money going out after review (see `wallet.withdrawals`).

The owner (a write key, possibly scoped to the account) requests, edits and cancels; an admin
key approves, rejects, marks paid or failed. A transition the state does not allow is a 409
`invalid_state` whose `current_state` names the state the withdrawal is in.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response

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
from tallybook.api.parameters import WithdrawalIdPath
from tallybook.api.schemas import decimal_of
from tallybook.api.wallet_presenters import WalletPresenter
from tallybook.api.wallet_schemas import (
    WithdrawalCreate,
    WithdrawalDecision,
    WithdrawalEdit,
    WithdrawalOut,
    WithdrawalPayment,
)
from tallybook.api.wallet_support import OwnedFilters, answer_step, visible
from tallybook.ledger import errors
from tallybook.ledger.steps import StepResult
from tallybook.model import Role
from tallybook.wallet import withdrawals
from tallybook.wallet.errors import WithdrawalNotFound
from tallybook.wallet.withdrawals import WithdrawalAction
from tallybook.wallet_model import Withdrawal, WithdrawalQuery, WithdrawalStatus

router = APIRouter(prefix="/v1/withdrawals", tags=["withdrawals"])

WRITE_ERRORS = problem_responses(403, 404, 409)


def _answer(caller: Caller, result: StepResult[Withdrawal], response: Response) -> WithdrawalOut:
    return answer_step(caller, result, response, WalletPresenter.withdrawal)


def _visible(caller: Caller, withdrawal_id: UUID) -> Withdrawal:
    withdrawal = withdrawals.get(caller.ledger, caller.tenant_id, withdrawal_id)
    return visible(caller, withdrawal, WithdrawalNotFound(withdrawal_id))


@router.post(
    "", status_code=201, summary="Request a withdrawal (held at once)", responses=WRITE_ERRORS
)
def create_withdrawal(
    body: WithdrawalCreate,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WithdrawalOut:
    caller.scope.require_account(body.account_id)
    result = withdrawals.create(
        caller.ledger,
        caller.tenant_id,
        body.account_id,
        decimal_of(body.amount),
        body.currency,
        destination=body.destination,
        channel=body.channel,
        note=body.note,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)


@router.get("/{withdrawal_id}", summary="Get a withdrawal", responses=problem_responses(404))
def get_withdrawal(withdrawal_id: WithdrawalIdPath, caller: ReadCaller) -> WithdrawalOut:
    withdrawal = _visible(caller, withdrawal_id)
    return WalletPresenter.for_tenant(caller.ledger, caller.tenant_id).withdrawal(withdrawal)


@router.get("", summary="List withdrawals", responses=problem_responses(404))
def list_withdrawals(
    caller: ReadCaller,
    filters: Annotated[OwnedFilters, Depends()],
    status: Annotated[
        WithdrawalStatus | None,
        Query(description="only withdrawals in this status", examples=["pending"]),
    ] = None,
    limit: LimitParameter = 100,
    cursor: CursorParameter = None,
    order: OrderParameter = Order.NEWEST_FIRST,
) -> ListPage[WithdrawalOut]:
    query = WithdrawalQuery(**filters.query_fields(caller), status=status)
    page = withdrawals.list_page(caller.ledger, query, window(limit, cursor, order, UUID))
    presenter = WalletPresenter.for_tenant(caller.ledger, caller.tenant_id)
    return page_of([presenter.withdrawal(w) for w in page.items], page.next_key, order)


@router.patch(
    "/{withdrawal_id}",
    summary="Change a pending withdrawal's amount or destination (the hold follows)",
    responses=WRITE_ERRORS,
)
def edit_withdrawal(
    withdrawal_id: WithdrawalIdPath,
    body: WithdrawalEdit,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WithdrawalOut:
    _visible(caller, withdrawal_id)
    result = withdrawals.edit(
        caller.ledger,
        caller.tenant_id,
        withdrawal_id,
        amount=None if body.amount is None else decimal_of(body.amount),
        destination=body.destination,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)


class Decision(StrEnum):
    """The review actions that take at most a reason (paying takes a payout reference)."""

    CANCEL = WithdrawalAction.CANCEL.value  # the owner: a write key
    APPROVE = WithdrawalAction.APPROVE.value  # an admin key, like the two below
    REJECT = WithdrawalAction.REJECT.value
    FAIL = WithdrawalAction.FAIL.value


def _move(
    caller: Caller,
    withdrawal_id: UUID,
    action: WithdrawalAction,
    response: Response,
    idempotency_key: str | None,
    *,
    reason: str | None = None,
    payout_reference: str | None = None,
    operator: str | None = None,
) -> WithdrawalOut:
    _visible(caller, withdrawal_id)
    result = withdrawals.move(
        caller.ledger,
        caller.tenant_id,
        withdrawal_id,
        action,
        reason=reason,
        payout_reference=payout_reference,
        operator=operator,
        idempotency_key=idempotency_key,
    )
    return _answer(caller, result, response)


@router.post(
    "/{withdrawal_id}/pay",
    summary="Mark an approved withdrawal paid (admin): the holds are posted to @world and @fees",
    responses=WRITE_ERRORS,
)
def pay_withdrawal(
    withdrawal_id: WithdrawalIdPath,
    body: WithdrawalPayment,
    caller: AdminCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WithdrawalOut:
    return _move(
        caller,
        withdrawal_id,
        WithdrawalAction.PAY,
        response,
        idempotency_key,
        payout_reference=body.payout_reference,
        operator=body.operator,
    )


@router.post(
    "/{withdrawal_id}/{decision}",
    summary="Cancel a pending withdrawal (the owner); approve or reject a pending one, or fail "
    "an approved one (admin; reject and fail need a reason). Releasing ones void the holds.",
    responses=WRITE_ERRORS,
)
def decide_withdrawal(
    withdrawal_id: WithdrawalIdPath,
    decision: Annotated[
        Decision,
        Path(
            description="`cancel` (the owner, a write key), `approve`, `reject` or `fail` "
            "(an admin key)",
            examples=["approve"],
        ),
    ],
    caller: WriteCaller,
    response: Response,
    body: WithdrawalDecision | None = None,
    idempotency_key: IdempotencyKey = None,
) -> WithdrawalOut:
    body = body or WithdrawalDecision()
    if decision is not Decision.CANCEL and not caller.key.role.allows(Role.ADMIN):
        raise errors.Forbidden(
            f"to {decision.value} a withdrawal takes an admin key", field="authorization"
        )
    return _move(
        caller,
        withdrawal_id,
        WithdrawalAction(decision.value),
        response,
        idempotency_key,
        reason=body.reason,
        operator=body.operator,
    )
