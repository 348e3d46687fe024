"""The CertCentral surface's application and its one endpoint."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header, Request

from tallybook.api.caller import Caller
from tallybook.ledger import Ledger, errors
from tallybook.ledger.queries import AccountQuery, EntryQuery, Slice
from tallybook.model import Account, AccountKind
from tallybook.surfaces.certcentral import errors as surface_errors
from tallybook.surfaces.certcentral.errors import CertCentralError
from tallybook.surfaces.certcentral.mapping import adjustment
from tallybook.surfaces.common import (
    TenantStyle,
    identify,
    short_text,
    surface_app,
    whole_number,
)

PREFIX = "/services/v2"
MAX_LIMIT = 1000  # CertCentral's default and largest page
MAX_CURRENCY_LENGTH = 10


def create_app(ledger: Ledger) -> FastAPI:
    app = surface_app(ledger, "Tallybook: DigiCert CertCentral balance history")
    surface_errors.install(app)
    app.add_api_route("/finance/balance-history", balance_history, methods=["GET"])
    return app


def _container(caller: Caller, container_id: int | None) -> Account:
    """The container asked for, or the only one there is. Containers are the customer accounts
    the key sees: its account and that account's sub-accounts, or (a key for the whole
    tenant) every customer account."""
    if container_id is not None:
        account = caller.ledger.account_by_number(caller.tenant_id, container_id)
        if account.kind is AccountKind.SYSTEM:
            raise errors.AccountNotFound("not a container", field="container_id")
        caller.scope.require_account(account.id, "container_id")
        return account
    query = AccountQuery(
        caller.tenant_id, kind=AccountKind.CUSTOMER, within=caller.scope.account_ids
    )
    found = caller.ledger.slice_accounts(query, Slice(offset=0, limit=1, newest_first=False))
    if found.total == 1:
        return found.items[0]
    if found.total == 0:
        raise errors.AccountNotFound("this key has no container", field="container_id")
    raise CertCentralError(
        400,
        "missing_param|container_id",
        f"container_id is required: this account has {found.total} divisions.",
    )


def balance_history(
    request: Request,
    x_dc_devkey: Annotated[str | None, Header()] = None,
    offset: str | None = None,
    limit: str | None = None,
    container_id: str | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """The container's balance adjustments, newest first, `limit` of them from `offset`."""
    caller = identify(request, x_dc_devkey, "X-DC-DEVKEY")
    start = whole_number("offset", offset, default=0, minimum=0)
    size = min(whole_number("limit", limit, default=MAX_LIMIT, minimum=1), MAX_LIMIT)
    chosen = whole_number("container_id", container_id, default=0, minimum=1) or None
    owner = _container(caller, chosen)
    query = EntryQuery(
        caller.tenant_id,
        account_ids=frozenset({owner.id}),
        currency=short_text("currency", currency, MAX_CURRENCY_LENGTH),
    )
    page = caller.ledger.slice_entries(query, Slice(offset=start, limit=size))
    style = TenantStyle.of(caller)
    return {
        "adjustments": [adjustment(line, owner, style) for line in page.items],
        "page": {"total": page.total, "limit": size, "offset": start},
    }
