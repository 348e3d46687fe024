"""Issuing, revoking and resolving API keys.

A key is `tb_` and 43 URL-safe characters (256 random bits). Only its sha256 is stored; the
key is returned once, when it is made. A key belongs to a tenant, has a role, and may be
scoped to one account (it then sees and moves only that account and its sub-accounts).
"""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID

from tallybook.ledger import Ledger, errors
from tallybook.ledger.accounts import require_account, require_tenant
from tallybook.ledger.ids import new_id
from tallybook.model import ApiKey, Role
from tallybook.storage import api_keys_repository

KEY_PREFIX = "tb_"
MAX_KEY_NAME_LENGTH = 200


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(
    ledger: Ledger, tenant_id: UUID, name: str, role: Role, account_id: UUID | None = None
) -> tuple[ApiKey, str]:
    """Make a key; returns its record and the key itself (the only time it is seen).

    Raises TenantNotFound, AccountNotFound (scope account not in the tenant), ValidationError.
    """
    if not 1 <= len(name) <= MAX_KEY_NAME_LENGTH:
        raise errors.ValidationError(
            f"a key name is 1 to {MAX_KEY_NAME_LENGTH} characters", field="name"
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        id=new_id(),
        tenant_id=tenant_id,
        name=name,
        key_hint=secret[-4:],
        role=role,
        account_id=account_id,
        created_at=ledger.clock.now(),
        revoked_at=None,
    )
    with ledger.database.write() as connection:
        require_tenant(connection, tenant_id)
        if account_id is not None:
            require_account(connection, tenant_id, account_id)
        api_keys_repository.insert_key(connection, record, hash_key(secret))
    return record, secret


def resolve_key(ledger: Ledger, key: str) -> ApiKey | None:
    """The live key behind `key`, or None when it is unknown or revoked.

    Live keys are remembered for a few seconds (`ledger.key_cache`, see `auth.cache`): a key
    revoked by another process keeps working for at most that long."""
    if not key.startswith(KEY_PREFIX):
        return None
    digest = hash_key(key)
    cached = ledger.key_cache.get(digest)
    if cached is not None:
        return cached
    with ledger.database.read() as connection:
        record = api_keys_repository.find_by_hash(connection, digest)
    if record is None or record.revoked_at is not None:
        return None
    ledger.key_cache.remember(digest, record)
    return record


def remembered_key(ledger: Ledger, key: str) -> ApiKey | None:
    """The live key behind `key` if this process remembers it, without any read (None
    otherwise: then `resolve_key` decides). For async code that must not block on a read."""
    if not key.startswith(KEY_PREFIX):
        return None
    return ledger.key_cache.get(hash_key(key))


def revoke_key(ledger: Ledger, tenant_id: UUID, key_id: UUID) -> ApiKey:
    """Revoke a key of the tenant: at once in this process (its key cache is emptied), within
    `api_key_cache_seconds` in the others. Raises NotFound."""
    with ledger.database.write() as connection:
        record = api_keys_repository.get(connection, key_id)
        if record is None or record.tenant_id != tenant_id:
            raise errors.NotFound(f"API key {key_id} does not exist", field="key_id")
        if record.revoked_at is None:
            api_keys_repository.revoke(connection, key_id, ledger.clock.now())
        revoked = api_keys_repository.get(connection, key_id)
    ledger.key_cache.forget_all()
    assert revoked is not None
    return revoked


def list_keys(ledger: Ledger, tenant_id: UUID) -> list[ApiKey]:
    """The tenant's keys, newest first (revoked ones included, marked)."""
    with ledger.database.read() as connection:
        return api_keys_repository.list_for_tenant(connection, tenant_id)
