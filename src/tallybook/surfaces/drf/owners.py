"""Whose money a `/in/` or `/out/` request is about, and how its records name their wallet.

A DRF service of this kind serves the signed-in user's own wallet. Here a key scoped to an
account is that user: a request moves its account's money unless its `wallet` field names
another wallet the key sees (a sub-account). A tenant-wide key (the platform's back office)
has no wallet of its own and must name one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from uuid import UUID

from fastapi import Request

from tallybook.api.caller import Caller
from tallybook.api.wallet_support import OwnedRecord
from tallybook.ledger import Ledger
from tallybook.model import Account
from tallybook.surfaces.common import TenantStyle, short_text
from tallybook.surfaces.drf.errors import NOT_FOUND, DrfError, InvalidInput
from tallybook.surfaces.drf.fields import REQUIRED, Form, pk_number
from tallybook.surfaces.drf.wallets import WalletView, wallet_numbered

WALLET = "wallet"
CURRENCY = "currency"
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
_INVALID_TIME = "Enter a valid date/time."


def visible_numbered(
    caller: Caller, pk: str, find: Callable[[Ledger, UUID, int], OwnedRecord]
) -> OwnedRecord:
    """The record `{pk}` numbers, if its account is one the key sees; DRF's 404 otherwise
    (`find`'s NotFound is rendered as that same 404 by the surface's error handler)."""
    record = find(caller.ledger, caller.tenant_id, pk_number(pk))
    if not caller.scope.sees(record.account_id):
        raise DrfError(404, NOT_FOUND)
    return record


def target_wallet(caller: Caller, form: Form) -> Account | None:
    """The wallet a new record is for: `wallet` (an account number the key sees), else the
    key's own account. None when that is wrong; the form then holds the message."""
    number = form.whole_number(WALLET)
    if number is not None:
        account = wallet_numbered(caller, number)
        if account is None:
            form.messages[WALLET] = [f'Invalid pk "{number}" - object does not exist.']
        return account
    if WALLET in form.messages:
        return None
    if caller.key.account_id is None:
        form.messages[WALLET] = [REQUIRED]
        return None
    return caller.ledger.get_account(caller.tenant_id, caller.key.account_id)


def currency_of(request: Request, caller: Caller, form: Form) -> str | None:
    """The body's `currency`, else the wallet currency (`?currency=`, the setting, ...)."""
    asked = form.text(CURRENCY, 10)
    if asked is not None or CURRENCY in form.messages:
        return asked
    return WalletView.of(request, caller).currency


def wallet_numbers(caller: Caller, account_ids: Iterable[UUID]) -> dict[UUID, int]:
    """The number of each account, for the `wallet` field of a page of records."""
    found = caller.ledger.accounts_by_ids(caller.tenant_id, set(account_ids))
    return {account_id: account.number for account_id, account in found.items()}


def local_bound(style: TenantStyle, name: str, raw: str | None, *, end: bool) -> datetime | None:
    """A `created_at_from` / `created_at_to` bound as the core takes it (`to` exclusive).

    `yyyy-MM-dd` is a whole local day: from its start, or to its end. A time (`yyyy-MM-dd
    HH:mm[:ss]`, or ISO 8601) without an offset is the tenant's local time; both bounds
    include the moment they name.
    """
    text = short_text(name, raw, 40)
    if text is None:
        return None
    moment = _parse(text.strip())
    if moment is None:
        raise InvalidInput({name: [_INVALID_TIME]})
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=style.zone)
        return aware + timedelta(microseconds=1) if end else aware
    day_start = datetime.combine(moment, time(), tzinfo=style.zone)
    return day_start + timedelta(days=1) if end else day_start


def _parse(text: str) -> datetime | date | None:
    if len(text) == len("2026-01-31"):
        try:
            return datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            return None
    for layout in _LOCAL_FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
