"""`/api/balance/out/`: withdrawals (money going out), over the wallet flows' withdrawals.

BalanceOut's ten fields: `id` (the withdrawal's number), `wallet` (its account's number),
`amount` (what leaves the balance), `currency`, `fee` (of it, to the platform), `alipay` and
`full_name` (the destination, a snapshot of the payout profile unless given), `status`
(`pending`, `approved`, `paid`, `rejected`, `cancelled`, `failed`), `created_at`,
`updated_at`.

`POST` (a write key) takes `amount` (required), and optionally `currency`, `wallet`, `alipay`,
`full_name`: the amount is held at once. While it is pending the owner may `PUT` (`amount`
required) or `PATCH` the amount and destination — the hold follows — or `DELETE` it (204: the
hold is released). Once reviewed it refuses each with a 400 naming its status; review and
payout are the back office's, on `/v1/withdrawals`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tallybook.api.caller import Caller
from tallybook.ledger.limits import MAX_REFERENCE_LENGTH
from tallybook.ledger.queries import CountedPage, Slice
from tallybook.model import Role
from tallybook.surfaces.common import TenantStyle, short_text
from tallybook.surfaces.drf.auth import authenticate
from tallybook.surfaces.drf.errors import NON_FIELD_ERRORS, InvalidInput
from tallybook.surfaces.drf.fields import Form
from tallybook.surfaces.drf.owners import (
    currency_of,
    local_bound,
    target_wallet,
    visible_numbered,
    wallet_numbers,
)
from tallybook.surfaces.drf.pagination import paginate
from tallybook.surfaces.drf.parsers import request_data
from tallybook.surfaces.drf.wallets import PROFILE_FIELDS
from tallybook.wallet import withdrawals
from tallybook.wallet.errors import InvalidState
from tallybook.wallet.withdrawals import WithdrawalAction
from tallybook.wallet_model import (
    SortKey,
    Withdrawal,
    WithdrawalQuery,
    WithdrawalSort,
    WithdrawalStatus,
)

router = APIRouter()

ORDER_BY = "order_by"
# BalanceOut's fields and what each orders by.
SORTABLE = {
    "id": WithdrawalSort.NUMBER,
    "wallet": WithdrawalSort.ACCOUNT_NUMBER,
    "amount": WithdrawalSort.AMOUNT,
    "currency": WithdrawalSort.CURRENCY,
    "fee": WithdrawalSort.FEE,
    "alipay": WithdrawalSort.ALIPAY,
    "full_name": WithdrawalSort.FULL_NAME,
    "status": WithdrawalSort.STATUS,
    "created_at": WithdrawalSort.CREATED_AT,
    "updated_at": WithdrawalSort.UPDATED_AT,
}
MAX_SORT_KEYS = len(SORTABLE)


def _rendered(
    caller: Caller, style: TenantStyle, records: list[Withdrawal]
) -> list[dict[str, Any]]:
    numbers = wallet_numbers(caller, (withdrawal.account_id for withdrawal in records))
    return [
        {
            "id": withdrawal.number,
            "wallet": numbers[withdrawal.account_id],
            "amount": style.money(withdrawal.amount, withdrawal.currency),
            "currency": withdrawal.currency,
            "fee": style.money(withdrawal.fee, withdrawal.currency),
            **{name: str(withdrawal.destination.get(name) or "") for name in PROFILE_FIELDS},
            "status": withdrawal.status.value,
            "created_at": style.iso(withdrawal.created_at),
            "updated_at": style.iso(withdrawal.updated_at),
        }
        for withdrawal in records
    ]


def _one(
    caller: Caller, withdrawal: Withdrawal, style: TenantStyle | None = None
) -> dict[str, Any]:
    return _rendered(caller, style or TenantStyle.of(caller), [withdrawal])[0]


def _visible(caller: Caller, pk: str) -> Withdrawal:
    return visible_numbered(caller, pk, withdrawals.get_by_number)


def sort_keys(raw: str | None) -> list[SortKey]:
    """`order_by`: listed fields, comma-separated, `-` before one for descending. DRF's
    OrderingFilter drops a field it does not know; a money service says so instead."""
    text = short_text(ORDER_BY, raw, 200)
    if text is None:
        return []
    keys: list[SortKey] = []
    for part in text.split(","):
        name = part.strip()
        field = SORTABLE.get(name.removeprefix("-"))
        if field is None:
            listed = ", ".join(SORTABLE)
            raise InvalidInput({ORDER_BY: [f'Cannot order by "{name}"; choose from {listed}.']})
        keys.append(SortKey(field, descending=name.startswith("-")))
    return keys[:MAX_SORT_KEYS]


@router.get("/out/")
def list_balance_out(request: Request) -> dict[str, Any]:
    """The withdrawals of the wallets the key sees, newest first unless `order_by` says."""
    caller = authenticate(request, Role.READ)
    style = TenantStyle.of(caller)
    params = request.query_params
    query = WithdrawalQuery(
        caller.tenant_id,
        within=caller.scope.account_ids,
        created_from=local_bound(
            style, "created_at_from", params.get("created_at_from"), end=False
        ),
        created_to=local_bound(style, "created_at_to", params.get("created_at_to"), end=True),
    )
    sort = sort_keys(params.get(ORDER_BY))

    def fetch(window: Slice) -> CountedPage[Withdrawal]:
        return withdrawals.slice_of(caller.ledger, query, Slice(window.offset, window.limit), sort)

    return paginate(request, fetch, lambda records: _rendered(caller, style, records))


@router.get("/out/{pk}/")
def get_balance_out(request: Request, pk: str) -> dict[str, Any]:
    caller = authenticate(request, Role.READ)
    return _one(caller, _visible(caller, pk))


def _destination(form: Form) -> dict[str, str] | None:
    given = {name: form.text(name, longest) for name, longest in PROFILE_FIELDS.items()}
    destination = {name: value for name, value in given.items() if value is not None}
    return destination or None


@router.post("/out/", status_code=201)
async def create_balance_out(request: Request, response: Response) -> dict[str, Any]:
    caller = authenticate(request, Role.WRITE)
    form = Form(await request_data(request))
    amount = form.amount("amount", required=True)
    currency = currency_of(request, caller, form)
    destination = _destination(form)
    wallet = target_wallet(caller, form)
    form.check()
    assert amount is not None and currency is not None and wallet is not None
    result = await run_in_threadpool(  # it waits for the engine: never on the event loop
        withdrawals.create,
        caller.ledger,
        caller.tenant_id,
        wallet.id,
        amount,
        currency,
        destination=destination,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    if result.replayed:
        response.status_code = 200
    return _one(caller, result.record)


@router.put("/out/{pk}/")
async def replace_balance_out(request: Request, pk: str) -> dict[str, Any]:
    return await _edit(request, pk, partial=False)


@router.patch("/out/{pk}/")
async def update_balance_out(request: Request, pk: str) -> dict[str, Any]:
    return await _edit(request, pk, partial=True)


def _refused(withdrawal: Withdrawal, state: str, action: str) -> InvalidInput:
    message = f"Withdrawal {withdrawal.number} is {state}: only a pending one can be {action}."
    return InvalidInput({NON_FIELD_ERRORS: [message]})


async def _edit(request: Request, pk: str, *, partial: bool) -> dict[str, Any]:
    caller = authenticate(request, Role.WRITE)
    withdrawal = _visible(caller, pk)
    form = Form(await request_data(request), partial=partial)
    amount = form.amount("amount", required=True)
    destination = _destination(form)
    form.check()
    if withdrawal.status is not WithdrawalStatus.PENDING:
        raise _refused(withdrawal, withdrawal.status.value, "changed")
    style = TenantStyle.of(caller)
    new_amount = _changed(amount, withdrawal, style)
    merged = None if destination is None else {**withdrawal.destination, **destination}
    if new_amount is None and merged in (None, withdrawal.destination):
        return _one(caller, withdrawal, style)
    try:
        edited = await run_in_threadpool(  # it waits for the engine: never on the event loop
            withdrawals.edit,
            caller.ledger,
            caller.tenant_id,
            withdrawal.id,
            amount=new_amount,
            destination=merged,
            idempotency_key=request.headers.get("idempotency-key"),
        )
    except InvalidState as error:
        raise _refused(withdrawal, error.current_state, "changed") from None
    return _one(caller, edited.record, style)


def _changed(amount: Decimal | None, withdrawal: Withdrawal, style: TenantStyle) -> Decimal | None:
    """The new amount, or None when it is the one it has (a client PUTs back what it read)."""
    if amount is None:
        return None
    current = style.money(withdrawal.amount, withdrawal.currency)
    return None if amount == Decimal(current) else amount


@router.delete("/out/{pk}/", status_code=204)
def cancel_balance_out(request: Request, pk: str) -> Response:
    caller = authenticate(request, Role.WRITE)
    withdrawal = _visible(caller, pk)
    try:
        withdrawals.move(
            caller.ledger,
            caller.tenant_id,
            withdrawal.id,
            WithdrawalAction.CANCEL,
            operator=caller.key.name[:MAX_REFERENCE_LENGTH],
            idempotency_key=request.headers.get("idempotency-key"),
        )
    except InvalidState as error:
        raise _refused(withdrawal, error.current_state, "cancelled") from None
    return Response(status_code=204)
