"""`/v1/accounts`: create, read, list and update accounts (never delete: history stays)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from tallybook.api.caller import Caller, ReadCaller, WriteCaller
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
from tallybook.api.parameters import AccountIdPath, TagFilter
from tallybook.api.presenters import Presenter
from tallybook.api.reads import in_one_read
from tallybook.api.schemas import (
    PARENT_ID,
    AccountCreate,
    AccountOut,
    AccountUpdate,
    BalancesAsOfOut,
    PastBalanceOut,
    Timestamp,
    decimal_of,
)
from tallybook.api.usual_reads import usual_read_route
from tallybook.ledger import errors
from tallybook.ledger.accounts import AccountChanges, AccountView
from tallybook.ledger.limits import MAX_REFERENCE_LENGTH
from tallybook.ledger.queries import AccountQuery
from tallybook.model import Account, AccountKind, AccountStatus

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


def present_accounts(caller: Caller, listed: list[Account]) -> list[AccountOut]:
    return present_views(caller, caller.ledger.account_views(caller.tenant_id, listed))


def present_views(caller: Caller, views: list[AccountView]) -> list[AccountOut]:
    """Balances are in currencies in use, whose decimals are remembered: no currency read."""
    currencies = {
        balance.currency
        for view in views
        for balance in (*view.balances, *(view.tree_totals or ()))
    }
    presenter = Presenter.for_currencies_in_use(caller.ledger, caller.tenant_id, currencies)
    return [presenter.account(view) for view in views]


@router.post(
    "",
    status_code=201,
    summary="Create an account (optionally a sub-account)",
    responses=problem_responses(403, 404, 409),
)
def create_account(body: AccountCreate, caller: WriteCaller) -> AccountOut:
    if not caller.scope.is_tenant_wide:
        if body.parent_id is None:
            raise errors.ValidationError(
                "a key scoped to an account creates sub-accounts only: give parent_id",
                field="parent_id",
            )
        caller.scope.require_account(body.parent_id, "parent_id")
    account = caller.ledger.create_account(
        caller.tenant_id,
        body.external_id,
        body.name,
        parent_id=body.parent_id,
        metadata=body.metadata,
        tags=tuple(body.tags),
        payout_profile=body.payout_profile,
    )
    return present_accounts(caller, [account])[0]


@usual_read_route(
    router,
    "/{account_id}",
    summary="Get an account with its balances",
    responses=problem_responses(404),
)
async def get_account(account_id: AccountIdPath, caller: ReadCaller) -> AccountOut:
    return await in_one_read(caller.ledger, _account_out, caller, account_id)


def _account_out(caller: Caller, account_id: UUID) -> AccountOut:
    caller.scope.require_account(account_id, "account_id")
    return present_views(caller, [caller.ledger.account_view(caller.tenant_id, account_id)])[0]


@usual_read_route(
    router,
    "/{account_id}/balances",
    summary="An account's posted balances as of a past moment",
    responses=problem_responses(404),
)
async def balances_as_of(
    account_id: AccountIdPath,
    caller: ReadCaller,
    as_of: Annotated[
        Timestamp,
        Query(
            description="ISO 8601 with its offset: entries stamped at or before it count",
            examples=["2026-10-31T23:59:59+08:00"],
        ),
    ],
    include_sub_accounts: Annotated[
        bool, Query(description="sum the account and all its sub-accounts", examples=[True])
    ] = False,
) -> BalancesAsOfOut:
    return await in_one_read(
        caller.ledger, _balances_as_of_out, caller, account_id, as_of, include_sub_accounts
    )


def _balances_as_of_out(
    caller: Caller, account_id: UUID, as_of: datetime, include_sub_accounts: bool
) -> BalancesAsOfOut:
    caller.scope.require_account(account_id, "account_id")  # the tenant: balances_as_of
    past = caller.ledger.balances_as_of(
        caller.tenant_id, account_id, as_of, with_sub_accounts=include_sub_accounts
    )
    presenter = Presenter.for_currencies_in_use(
        caller.ledger, caller.tenant_id, {balance.currency for balance in past}
    )
    return BalancesAsOfOut(
        account_id=account_id,
        as_of=as_of,
        include_sub_accounts=include_sub_accounts,
        balances=[
            PastBalanceOut(
                currency=balance.currency,
                posted=presenter.money(balance.posted, balance.currency),
                entry_count=balance.entry_count,
            )
            for balance in past
        ],
    )


@router.get("", summary="List accounts", responses=problem_responses(404))
def list_accounts(
    caller: ReadCaller,
    parent_id: Annotated[
        UUID | None, Query(description="only sub-accounts of this account", examples=[PARENT_ID])
    ] = None,
    external_id: Annotated[
        str | None,
        Query(
            max_length=MAX_REFERENCE_LENGTH,
            description="only the account with this id of yours",
            examples=["user-42"],
        ),
    ] = None,
    status: Annotated[
        AccountStatus | None, Query(description="only accounts in this status", examples=["frozen"])
    ] = None,
    kind: Annotated[
        AccountKind | None,
        Query(description="`customer` or `system` accounts only", examples=["customer"]),
    ] = None,
    tag: TagFilter = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="text in the name, any case", examples=["alice"]),
    ] = None,
    limit: LimitParameter = 100,
    cursor: CursorParameter = None,
    order: OrderParameter = Order.NEWEST_FIRST,
) -> ListPage[AccountOut]:
    if parent_id is not None:
        caller.account(parent_id, "parent_id")
    query = AccountQuery(
        tenant_id=caller.tenant_id,
        parent_id=parent_id,
        external_id=external_id,
        status=status,
        kind=kind,
        tag=tag,
        name_contains=q,
        within=caller.scope.account_ids,
    )
    page = caller.ledger.list_accounts(query, window(limit, cursor, order, UUID))
    return page_of(present_accounts(caller, list(page.items)), page.next_key, order)


@router.patch(
    "/{account_id}",
    summary="Change an account: name, status, credit limits, payout profile, metadata, tags",
    responses=problem_responses(403, 404, 409),
)
def update_account(
    account_id: AccountIdPath, body: AccountUpdate, caller: WriteCaller
) -> AccountOut:
    caller.account(account_id)
    changes = AccountChanges(
        name=body.name,
        status=body.status,
        metadata=body.metadata,
        tags=None if body.tags is None else tuple(body.tags),
        payout_profile=body.payout_profile,
        credit_limits={
            currency: decimal_of(limit) for currency, limit in (body.credit_limits or {}).items()
        },
    )
    account = caller.ledger.update_account(caller.tenant_id, account_id, changes)
    return present_accounts(caller, [account])[0]
