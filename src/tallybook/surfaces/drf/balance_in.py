"""`/api/balance/in/`: top-ups (money coming in), over the wallet flows' top-ups.

BalanceIn's nine fields: `id` (the top-up's number), `wallet` (its account's number),
`amount`, `currency`, `channel`, `status` (`pending`, `succeeded`, `failed`, `expired`),
`receipt_id` (null until it succeeds), `created_at`, `updated_at`. `POST` (a write key) takes
WriteBalanceIn: `channel` (required, as in the seed), `amount` (required), and optionally
`currency` and `wallet`; it creates a pending top-up, which the channel's signed callback or an
admin confirms (`/v1/topups/{id}/confirm`), crediting the wallet once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tallybook.api.caller import Caller
from tallybook.ledger.limits import MAX_CHANNEL_LENGTH
from tallybook.ledger.queries import CountedPage, Slice
from tallybook.model import Role
from tallybook.surfaces.common import TenantStyle
from tallybook.surfaces.drf.auth import authenticate
from tallybook.surfaces.drf.fields import Form
from tallybook.surfaces.drf.owners import (
    currency_of,
    target_wallet,
    visible_numbered,
    wallet_numbers,
)
from tallybook.surfaces.drf.pagination import paginate
from tallybook.surfaces.drf.parsers import request_data
from tallybook.wallet import topups
from tallybook.wallet_model import TopUp, TopUpQuery

router = APIRouter()


def _rendered(caller: Caller, style: TenantStyle, records: list[TopUp]) -> list[dict[str, Any]]:
    numbers = wallet_numbers(caller, (topup.account_id for topup in records))
    now = caller.ledger.clock.now()
    assert all(topup.number is not None for topup in records)  # stored rows are numbered
    return [
        {
            "id": topup.number,
            "wallet": numbers[topup.account_id],
            "amount": style.money(topup.amount, topup.currency),
            "currency": topup.currency,
            "channel": topup.channel,
            "status": topup.status_at(now).value,
            "receipt_id": topup.receipt_id,
            "created_at": style.iso(topup.created_at),
            "updated_at": style.iso(topup.updated_at),
        }
        for topup in records
    ]


def _visible(caller: Caller, pk: str) -> TopUp:
    return visible_numbered(caller, pk, topups.get_by_number)


@router.get("/in/")
def list_balance_in(request: Request) -> dict[str, Any]:
    """The top-ups of the wallets the key sees, newest first."""
    caller = authenticate(request, Role.READ)
    style = TenantStyle.of(caller)
    query = TopUpQuery(caller.tenant_id, within=caller.scope.account_ids)

    def fetch(window: Slice) -> CountedPage[TopUp]:
        return topups.slice_of(caller.ledger, query, Slice(window.offset, window.limit))

    return paginate(request, fetch, lambda records: _rendered(caller, style, records))


@router.get("/in/{pk}/")
def get_balance_in(request: Request, pk: str) -> dict[str, Any]:
    caller = authenticate(request, Role.READ)
    return _rendered(caller, TenantStyle.of(caller), [_visible(caller, pk)])[0]


@router.post("/in/", status_code=201)
async def create_balance_in(request: Request, response: Response) -> dict[str, Any]:
    caller = authenticate(request, Role.WRITE)
    form = Form(await request_data(request))
    channel = form.text("channel", MAX_CHANNEL_LENGTH, required=True)
    amount = form.amount("amount", required=True)
    currency = currency_of(request, caller, form)
    wallet = target_wallet(caller, form)
    form.check()
    assert channel is not None and amount is not None and currency is not None and wallet
    result = await run_in_threadpool(  # it waits for the engine: never on the event loop
        topups.create,
        caller.ledger,
        caller.tenant_id,
        wallet.id,
        amount,
        currency,
        channel,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    if result.replayed:
        response.status_code = 200
    return _rendered(caller, TenantStyle.of(caller), [result.record])[0]
