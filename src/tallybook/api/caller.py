"""Who is calling: the API key of a request, its role and its scope, as dependencies.

A missing, unknown or revoked key gets the same 401 body, so a caller learns nothing about
which keys exist. A key whose role is too weak gets 403. The key may come as
`Authorization: Bearer tb_...` or as `X-API-Key: tb_...`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from tallybook.api.dependencies import LedgerDep
from tallybook.auth.keys import remembered_key, resolve_key
from tallybook.auth.scope import Scope, scope_of
from tallybook.ledger import Ledger, errors
from tallybook.model import Account, ApiKey, Role


@dataclass(frozen=True, slots=True)
class Caller:
    key: ApiKey
    scope: Scope
    ledger: Ledger

    @property
    def tenant_id(self) -> UUID:
        return self.key.tenant_id

    def accounts_named(
        self, account_id: UUID | None, include_sub_accounts: bool
    ) -> frozenset[UUID] | None:
        """The accounts an `account_id` filter names (with its tree on request), None without
        one. Raises AccountNotFound for an account outside the key's scope."""
        if account_id is None:
            return None
        self.account(account_id)
        if not include_sub_accounts:
            return frozenset({account_id})
        return self.ledger.account_tree(self.tenant_id, account_id)

    def account(self, account_id: UUID, field: str = "account_id") -> Account:
        """The account, if it is in the key's tenant and scope; otherwise AccountNotFound
        naming `field`, exactly as for an id that never existed."""
        self.scope.require_account(account_id, field)
        return self.tenant_account(account_id, field)

    def tenant_account(self, account_id: UUID, field: str) -> Account:
        """The account, if it is in the key's tenant (whatever the scope: a scoped key may
        pay the tenant's system accounts); otherwise AccountNotFound naming `field`."""
        try:
            return self.ledger.get_account(self.tenant_id, account_id)
        except errors.AccountNotFound as missing:
            raise errors.AccountNotFound(missing.message, field=field) from None


_BEARER = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="`Authorization: Bearer tb_...`"
)
_API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="api_key", description="`X-API-Key: tb_...`"
)


def caller_for(ledger: Ledger, secret: str | None) -> Caller | None:
    """The caller behind an API key as sent, or None when it is missing, unknown or revoked.
    Every surface (native and seed) identifies its callers with this."""
    key = resolve_key(ledger, secret) if secret else None
    if key is None:
        return None
    return Caller(key=key, scope=scope_of(ledger, key), ledger=ledger)


def _remembered_caller(ledger: Ledger, secret: str | None) -> Caller | None:
    """The caller, when finding it needs no read: a tenant-wide key this process remembers.
    On the event loop (its key's refresh, when due, goes to the loop's executor)."""
    key = remembered_key(ledger, secret, _refresh_in_background) if secret else None
    if key is None or key.account_id is not None:
        return None
    return Caller(key=key, scope=scope_of(ledger, key), ledger=ledger)


def _refresh_in_background(refresh: Callable[[], object]) -> None:
    """Run a remembered key's refresh in the running loop's default executor; no request
    waits for it (it handles its own database errors)."""
    asyncio.get_running_loop().run_in_executor(None, refresh)


def _secret(bearer: HTTPAuthorizationCredentials | None, api_key_header: str | None) -> str | None:
    return api_key_header or (bearer.credentials.strip() if bearer is not None else None)


def _secret_in_headers(headers: Headers) -> str | None:
    """The key `_secret` finds in what `_BEARER` and `_API_KEY_HEADER` make of these headers,
    read from the headers themselves.

    Why: on the usual request the two schemes' calls (two coroutines, and a pydantic model
    for the bearer credentials) cost more than the rest of finding a remembered caller.
    """
    api_key = headers.get("x-api-key")
    if api_key:
        return api_key
    scheme, _, credentials = (headers.get("authorization") or "").partition(" ")
    credentials = credentials.strip()
    return credentials if credentials and scheme.lower() == "bearer" else None


async def remembered_caller(request: Request, needed: Role) -> Caller | None:
    """The caller `ReadCaller` / `WriteCaller` resolve to, when finding it reads nothing and
    its role suffices: a tenant-wide key this process remembers. None otherwise — the
    dependencies then decide, and word any refusal. For `DirectRoute` resolvers."""
    ledger = request.app.state.ledger
    assert isinstance(ledger, Ledger)
    caller = _remembered_caller(ledger, _secret_in_headers(request.headers))
    if caller is None or not caller.key.role.allows(needed):
        return None
    return caller


async def _caller(
    ledger: LedgerDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    api_key_header: Annotated[str | None, Depends(_API_KEY_HEADER)],
) -> Caller:
    """The key from either header (documented in the OpenAPI document as two security
    schemes, either of which will do). Async so that a remembered key costs no threadpool
    hop; a key that must be read (or a scoped key's accounts) is looked up in the threadpool."""
    secret = _secret(bearer, api_key_header)
    caller = _remembered_caller(ledger, secret) or await run_in_threadpool(
        caller_for, ledger, secret
    )
    if caller is None:
        raise errors.Unauthenticated("a valid API key is required (Authorization: Bearer tb_...)")
    return caller


def _with_role(needed: Role) -> object:
    async def check(caller: Annotated[Caller, Depends(_caller)]) -> Caller:  # no threadpool hop
        if not caller.key.role.allows(needed):
            raise errors.Forbidden(
                f"this needs a key with the {needed} role", field="authorization"
            )
        return caller

    _ROLE_CHECKS[check] = needed
    return Depends(check)


_ROLE_CHECKS: dict[object, Role] = {}


def role_checked(dependency: object) -> Role | None:
    """The role a `ReadCaller` / `WriteCaller` / `AdminCaller` dependency checks, or None
    for any other dependency. For `DirectRoute` resolvers that stand in for it."""
    return _ROLE_CHECKS.get(dependency)


ReadCaller = Annotated[Caller, _with_role(Role.READ)]
WriteCaller = Annotated[Caller, _with_role(Role.WRITE)]
AdminCaller = Annotated[Caller, _with_role(Role.ADMIN)]
