"""Queries for API keys (only hashes are stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, insert, select, update

from tallybook.model import ApiKey, Role
from tallybook.storage.tables import api_keys


def _from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        key_hint=row.key_hint,
        role=Role(row.role),
        account_id=row.account_id,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def insert_key(connection: Connection, record: ApiKey, key_hash: str) -> None:
    connection.execute(
        insert(api_keys).values(
            id=record.id,
            tenant_id=record.tenant_id,
            name=record.name,
            key_hash=key_hash,
            key_hint=record.key_hint,
            role=record.role.value,
            account_id=record.account_id,
            created_at=record.created_at,
            revoked_at=None,
        )
    )


def find_by_hash(connection: Connection, key_hash: str) -> ApiKey | None:
    row = connection.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
    return _from_row(row) if row else None


def get(connection: Connection, key_id: UUID) -> ApiKey | None:
    row = connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    return _from_row(row) if row else None


def revoke(connection: Connection, key_id: UUID, now: datetime) -> None:
    connection.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=now))


def list_for_tenant(connection: Connection, tenant_id: UUID) -> list[ApiKey]:
    query = select(api_keys).where(api_keys.c.tenant_id == tenant_id).order_by(api_keys.c.id.desc())
    return [_from_row(row) for row in connection.execute(query)]
