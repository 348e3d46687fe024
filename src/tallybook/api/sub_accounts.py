"""`/v1/accounts/{id}/sub-accounts`, `/allocations`, `/reclaims`: a parent's children with
their balances, and money moved between a parent and a child (see `wallet.sub_accounts`).

Make a sub-account with `POST /v1/accounts` and `parent_id`. A key scoped to the parent sees
and funds its children; a key scoped to a child sees neither its parent nor its siblings, so it
can neither list them nor move money between them.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from tallybook.api.accounts import present_accounts
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
from tallybook.api.parameters import ParentIdPath
from tallybook.api.schemas import AccountOut, TransferOut, decimal_of
from tallybook.api.transfers import present_result
from tallybook.api.wallet_schemas import AllocationCreate
from tallybook.ledger.queries import AccountQuery
from tallybook.wallet import sub_accounts
from tallybook.wallet.sub_accounts import Allocation

router = APIRouter(prefix="/v1/accounts", tags=["sub-accounts"])

WRITE_ERRORS = problem_responses(403, 404, 409)


@router.get(
    "/{account_id}/sub-accounts",
    summary="A parent's sub-accounts with their balances",
    responses=problem_responses(404),
)
def list_sub_accounts(
    account_id: ParentIdPath,
    caller: ReadCaller,
    limit: LimitParameter = 100,
    cursor: CursorParameter = None,
    order: OrderParameter = Order.OLDEST_FIRST,
) -> ListPage[AccountOut]:
    caller.scope.require_account(account_id)
    caller.ledger.get_account(caller.tenant_id, account_id)
    query = AccountQuery(
        tenant_id=caller.tenant_id, parent_id=account_id, within=caller.scope.account_ids
    )
    page = caller.ledger.list_accounts(query, window(limit, cursor, order, UUID))
    return page_of(present_accounts(caller, list(page.items)), page.next_key, order)


def _allocate(
    caller: Caller,
    parent_id: UUID,
    body: AllocationCreate,
    response: Response,
    idempotency_key: str | None,
    *,
    reclaim: bool,
) -> TransferOut:
    caller.scope.require_account(parent_id)
    caller.scope.require_account(body.sub_account_id, "sub_account_id")
    allocation = Allocation(
        caller.tenant_id,
        parent_id,
        body.sub_account_id,
        decimal_of(body.amount),
        body.currency,
        reclaim=reclaim,
        note=body.note,
        operator=body.operator,
        idempotency_key=idempotency_key,
    )
    result = sub_accounts.allocate(caller.ledger, allocation)
    return present_result(caller, result, response)[0]


@router.post(
    "/{account_id}/allocations",
    status_code=201,
    summary="Fund a sub-account from its parent (type allocation)",
    responses=WRITE_ERRORS,
)
def allocate(
    account_id: ParentIdPath,
    body: AllocationCreate,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TransferOut:
    return _allocate(caller, account_id, body, response, idempotency_key, reclaim=False)


@router.post(
    "/{account_id}/reclaims",
    status_code=201,
    summary="Take money back from a sub-account to its parent (type allocation)",
    responses=WRITE_ERRORS,
)
def reclaim(
    account_id: ParentIdPath,
    body: AllocationCreate,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TransferOut:
    return _allocate(caller, account_id, body, response, idempotency_key, reclaim=True)
