"""`/api/balance/wallet/`: the wallet — its balance and its payout profile.

A wallet is a customer account the key sees. Its four fields: `id` (the account's number),
`balance` (posted - held in the wallet currency: the money it has, less what a pending
withdrawal holds), and the payout profile's `alipay` and `full_name`.

Writes (`PUT` needs `balance`, `PATCH` any of the three): `alipay` and `full_name` update the
account's payout profile (a write key); a `balance` different from the current one needs an
admin key and becomes an adjustment transfer from or to `world`, recorded in the history —
the core's SetBalance, never an overwrite. Unknown fields are ignored, as DRF does, so a
client may send back the object it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from tallybook.api.caller import Caller
from tallybook.ledger import SetBalance
from tallybook.ledger.accounts import AccountChanges
from tallybook.ledger.errors import AccountNotFound
from tallybook.ledger.limits import MAX_REFERENCE_LENGTH
from tallybook.ledger.queries import AccountQuery, CountedPage, Slice
from tallybook.model import Account, AccountKind, References, Role, SystemAccount
from tallybook.settings import Settings
from tallybook.surfaces.common import TenantStyle, short_text
from tallybook.surfaces.drf.auth import authenticate
from tallybook.surfaces.drf.errors import NOT_FOUND, PERMISSION_DENIED, DrfError, InvalidInput
from tallybook.surfaces.drf.fields import Form, pk_number
from tallybook.surfaces.drf.pagination import paginate
from tallybook.surfaces.drf.parsers import request_data

router = APIRouter()

PROFILE_FIELDS = {"alipay": 128, "full_name": 200}  # field -> longest value
BALANCE = "balance"
BALANCE_SET_NOTE = "Balance set through the wallet API"


@dataclass(frozen=True, slots=True)
class WalletView:
    """What a request needs to show wallets: the tenant's style and the wallet currency."""

    caller: Caller
    style: TenantStyle
    currency: str

    @classmethod
    def of(cls, request: Request, caller: Caller) -> WalletView:
        """The wallet currency: `?currency=`, else the setting if the tenant has it, else the
        tenant's first currency in alphabetical order."""
        style = TenantStyle.of(caller)
        known = style.presenter.decimals
        asked = short_text("currency", request.query_params.get("currency"), 10)
        settings: Settings = request.app.state.settings
        if asked is not None:
            if asked not in known:
                raise InvalidInput({"currency": [f"{asked} is not a currency of this tenant."]})
            return cls(caller, style, asked)
        if settings.drf_wallet_currency in known:
            return cls(caller, style, settings.drf_wallet_currency)
        if not known:
            raise InvalidInput({"currency": ["This tenant has no currency yet."]})
        return cls(caller, style, min(known))

    def own_balance(self, account: Account) -> int:
        return _own_balance(self.caller, account, self.currency)

    def wallets(self, accounts: list[Account]) -> list[dict[str, Any]]:
        views = self.caller.ledger.account_views(self.caller.tenant_id, accounts)
        rendered = []
        for view in views:
            own = sum(b.posted - b.held for b in view.balances if b.currency == self.currency)
            rendered.append(self.wallet(view.account, own))
        return rendered

    def wallet(self, account: Account, own_balance: int) -> dict[str, Any]:
        profile = account.payout_profile
        return {
            "id": account.number,
            BALANCE: self.style.money(own_balance, self.currency),
            **{name: _text(profile.get(name)) for name in PROFILE_FIELDS},
        }


def _own_balance(caller: Caller, account: Account, currency: str) -> int:
    balance = caller.ledger.balance(caller.tenant_id, account.id, currency)
    return balance.posted - balance.held


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def wallet_numbered(caller: Caller, number: int) -> Account | None:
    """The customer account with this number, if the key sees it."""
    try:
        account = caller.ledger.account_by_number(caller.tenant_id, number)
    except AccountNotFound:
        return None
    if account.kind is AccountKind.SYSTEM or not caller.scope.sees(account.id):
        return None
    return account


def _wallet(caller: Caller, pk: str) -> Account:
    """The wallet `pk` names, if the key sees it; DRF's 404 otherwise."""
    account = wallet_numbered(caller, pk_number(pk))
    if account is None:
        raise DrfError(404, NOT_FOUND)
    return account


@router.get("/wallet/")
def list_wallets(request: Request) -> dict[str, Any]:
    caller = authenticate(request, Role.READ)
    view = WalletView.of(request, caller)
    query = AccountQuery(
        caller.tenant_id, kind=AccountKind.CUSTOMER, within=caller.scope.account_ids
    )

    def fetch(window: Slice) -> CountedPage[Account]:
        return caller.ledger.slice_accounts(query, window)

    return paginate(request, fetch, view.wallets)


@router.get("/wallet/{pk}/")
def get_wallet(request: Request, pk: str) -> dict[str, Any]:
    caller = authenticate(request, Role.READ)
    view = WalletView.of(request, caller)
    account = _wallet(caller, pk)
    return view.wallet(account, view.own_balance(account))


@router.put("/wallet/{pk}/")
async def replace_wallet(request: Request, pk: str) -> dict[str, Any]:
    return await _update(request, pk, partial=False)


@router.patch("/wallet/{pk}/")
async def update_wallet(request: Request, pk: str) -> dict[str, Any]:
    return await _update(request, pk, partial=True)


def _validated(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    """The write serializer's fields (`alipay`, `balance`, `full_name`): a blank profile
    field clears it; `balance` is required by PUT."""
    form = Form(data, partial=partial)
    valid: dict[str, Any] = {
        name: form.text(name, longest, allow_blank=True) for name, longest in PROFILE_FIELDS.items()
    }
    valid[BALANCE] = form.amount(BALANCE, required=True)
    form.check()
    return {name: value for name, value in valid.items() if value is not None}


async def _update(request: Request, pk: str, *, partial: bool) -> dict[str, Any]:
    caller = authenticate(request, Role.WRITE)
    view = WalletView.of(request, caller)
    account = _wallet(caller, pk)
    changes = _validated(await request_data(request), partial)
    # In a worker thread: it writes and waits for the engine, which on the event loop would
    # hold up every other request (and, where the loop applies the engine's batches, wait
    # for ever).
    return await run_in_threadpool(_apply_update, request, view, account, changes)


def _apply_update(
    request: Request, view: WalletView, account: Account, changes: dict[str, Any]
) -> dict[str, Any]:
    caller = view.caller
    own = view.own_balance(account)
    target = changes.get(BALANCE)
    if target is not None and target != Decimal(view.style.money(own, view.currency)):
        if not caller.key.role.allows(Role.ADMIN):
            raise DrfError(403, PERMISSION_DENIED)
        own = _set_balance(request, view, account, target)
    profile = {name: changes[name] for name in PROFILE_FIELDS if name in changes}
    if profile and any(account.payout_profile.get(k) != v for k, v in profile.items()):
        account = caller.ledger.update_account(
            caller.tenant_id,
            account.id,
            AccountChanges(payout_profile={**account.payout_profile, **profile}),
        )
    return view.wallet(account, own)


def _set_balance(request: Request, view: WalletView, account: Account, target: Decimal) -> int:
    """Adjust the wallet to `target` through the core; the balance it has afterwards."""
    caller = view.caller
    world = caller.ledger.system_account(caller.tenant_id, SystemAccount.WORLD, view.currency)
    caller.ledger.execute(
        SetBalance(
            caller.tenant_id,
            account.id,
            world.id,
            view.currency,
            target,
            References(note=BALANCE_SET_NOTE, operator=caller.key.name[:MAX_REFERENCE_LENGTH]),
            idempotency_key=request.headers.get("idempotency-key"),
        )
    )
    return view.own_balance(account)
