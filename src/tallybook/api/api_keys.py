"""`/v1/api-keys` (admin): issue, list and revoke a tenant's keys."""

from __future__ import annotations

from fastapi import APIRouter

from tallybook.api.caller import AdminCaller, Caller
from tallybook.api.openapi import problem_responses
from tallybook.api.parameters import KeyIdPath
from tallybook.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from tallybook.auth.keys import issue_key, list_keys, revoke_key
from tallybook.ledger import errors
from tallybook.model import ApiKey

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        role=key.role,
        account_id=key.account_id,
        key_hint=key.key_hint,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


@router.post(
    "",
    status_code=201,
    summary="Issue a key (the key is in this answer only)",
    responses=problem_responses(403, 404),
)
def create_api_key(body: ApiKeyCreate, caller: AdminCaller) -> ApiKeyCreated:
    if not caller.scope.is_tenant_wide:
        # A scoped admin hands out keys inside its own scope only.
        if body.account_id is None:
            raise errors.ValidationError(
                "a key scoped to an account issues scoped keys only: give account_id",
                field="account_id",
            )
        caller.scope.require_account(body.account_id)
    record, secret = issue_key(
        caller.ledger, caller.tenant_id, body.name, body.role, body.account_id
    )
    return ApiKeyCreated(**_out(record).model_dump(), key=secret)


def _visible_keys(caller: Caller) -> list[ApiKey]:
    """A tenant-wide admin sees every key; a scoped one the keys scoped inside its scope."""
    keys = list_keys(caller.ledger, caller.tenant_id)
    if caller.scope.is_tenant_wide:
        return keys
    return [key for key in keys if key.account_id is not None and caller.scope.sees(key.account_id)]


@router.get("", summary="List keys (never the keys themselves)", responses=problem_responses(403))
def list_api_keys(caller: AdminCaller) -> list[ApiKeyOut]:
    return [_out(key) for key in _visible_keys(caller)]


@router.delete("/{key_id}", summary="Revoke a key, at once", responses=problem_responses(403, 404))
def revoke_api_key(key_id: KeyIdPath, caller: AdminCaller) -> ApiKeyOut:
    if key_id not in {key.id for key in _visible_keys(caller)}:
        raise errors.NotFound(f"API key {key_id} does not exist", field="key_id")
    return _out(revoke_key(caller.ledger, caller.tenant_id, key_id))
