"""Issuing, revoking and resolving API keys.

A key is `tb_` and 43 URL-safe characters (256 random bits). Only its sha256 is stored; the
key is returned once, when it is made. A key belongs to a tenant, has a role, and may be
scoped to one account (it then sees and moves only that account and its sub-accounts).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from functools import partial
from uuid import UUID

from sqlalchemy.exc import SQLAlchemyError

from tallybook.auth.cache import Reading
from tallybook.ledger import Ledger, errors
from tallybook.ledger.accounts import require_account, require_tenant
from tallybook.ledger.ids import new_id
from tallybook.model import ApiKey, Role
from tallybook.storage import api_keys_repository

logger = logging.getLogger(__name__)

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
    revoked by another process keeps working for at most that long. The caller that finds a
    remembered key due for its refresh reads it again here."""
    if not key.startswith(KEY_PREFIX):
        return None
    digest = hash_key(key)
    remembered, refresh = _remembered(ledger, digest)
    if refresh is not None:
        return refresh()
    if remembered is not None:
        return remembered
    return _read_key(ledger, digest, ledger.key_cache.start_read())


def remembered_key(
    ledger: Ledger, key: str, refresh_later: Callable[[Callable[[], object]], None]
) -> ApiKey | None:
    """The live key behind `key` if this process remembers it, without any read (None
    otherwise: then `resolve_key` decides). For async code that must not block on a read:
    when the remembered key is due for its refresh, the read is handed to `refresh_later`
    (which runs it off the event loop) and the remembered key is used meanwhile."""
    if not key.startswith(KEY_PREFIX):
        return None
    remembered, refresh = _remembered(ledger, hash_key(key))
    if refresh is not None:
        refresh_later(refresh)
    return remembered


def _remembered(
    ledger: Ledger, digest: str
) -> tuple[ApiKey | None, Callable[[], ApiKey | None] | None]:
    """The key remembered under `digest`, and its refresh when it is due and this caller has
    claimed it (None otherwise)."""
    remembered = ledger.key_cache.get(digest)
    if remembered is None:
        return None, None
    reading = ledger.key_cache.claim_refresh(digest)
    if reading is None:
        return remembered, None
    return remembered, partial(_refresh_key, ledger, digest, reading, remembered)


def _read_key(ledger: Ledger, digest: str, reading: Reading) -> ApiKey | None:
    with ledger.database.read() as connection:
        record = api_keys_repository.find_by_hash(connection, digest)
    live = record if record is not None and record.revoked_at is None else None
    ledger.key_cache.finish_read(digest, reading, live)
    return live


def _refresh_key(
    ledger: Ledger, digest: str, reading: Reading, remembered: ApiKey
) -> ApiKey | None:
    """Read a remembered key again. When the database cannot be read, the remembered record
    stands until its time is up, and the next caller may try the refresh again."""
    try:
        return _read_key(ledger, digest, reading)
    except SQLAlchemyError:
        ledger.key_cache.abandon_refresh(digest)
        logger.warning("could not refresh a remembered API key", exc_info=True)
        return remembered


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
