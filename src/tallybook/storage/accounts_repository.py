"""Queries for tenants, currencies, accounts and reading balances."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from tallybook.model import Account, AccountStatus, Balance, Currency, Tenant
from tallybook.storage.rows import account_from_row, balance_from_row, tenant_from_row
from tallybook.storage.tables import accounts, balances, currencies, tenants


def insert_tenant(connection: Connection, tenant: Tenant) -> None:
    connection.execute(
        insert(tenants).values(
            id=tenant.id,
            name=tenant.name,
            time_zone=tenant.time_zone,
            created_at=tenant.created_at,
        )
    )


def get_tenant(connection: Connection, tenant_id: UUID) -> Tenant | None:
    row = connection.execute(select(tenants).where(tenants.c.id == tenant_id)).first()
    return tenant_from_row(row) if row else None


def upsert_currency(connection: Connection, currency: Currency, now: datetime) -> None:
    updated = connection.execute(
        update(currencies)
        .where(currencies.c.tenant_id == currency.tenant_id, currencies.c.code == currency.code)
        .values(decimals=currency.decimals)
    )
    if updated.rowcount == 0:
        connection.execute(
            insert(currencies).values(
                tenant_id=currency.tenant_id,
                code=currency.code,
                decimals=currency.decimals,
                created_at=now,
            )
        )


def currency_in_use(connection: Connection, tenant_id: UUID, code: str) -> bool:
    query = select(balances.c.account_id).where(
        balances.c.tenant_id == tenant_id, balances.c.currency == code
    )
    return connection.execute(query.limit(1)).first() is not None


def list_currencies(connection: Connection, tenant_ids: Collection[UUID]) -> list[Currency]:
    if not tenant_ids:
        return []
    query = select(currencies).where(currencies.c.tenant_id.in_(list(tenant_ids)))
    return [
        Currency(tenant_id=row.tenant_id, code=row.code, decimals=row.decimals)
        for row in connection.execute(query)
    ]


def insert_account(connection: Connection, account: Account) -> bool:
    """Insert `account`; False when its external id is taken in the tenant."""
    values: dict[str, Any] = {
        "id": account.id,
        "tenant_id": account.tenant_id,
        "external_id": account.external_id,
        "name": account.name,
        "parent_id": account.parent_id,
        "status": account.status.value,
        "kind": account.kind.value,
        "metadata": dict(account.metadata),
        "tags": list(account.tags),
        "payout_profile": dict(account.payout_profile),
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }
    try:
        with connection.begin_nested():
            connection.execute(insert(accounts).values(**values))
    except IntegrityError:
        return False
    return True


def get_account(connection: Connection, account_id: UUID, *, lock: bool = False) -> Account | None:
    query = select(accounts).where(accounts.c.id == account_id)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return account_from_row(row) if row else None


def find_account_by_external_id(
    connection: Connection, tenant_id: UUID, external_id: str
) -> Account | None:
    query = select(accounts).where(
        accounts.c.tenant_id == tenant_id, accounts.c.external_id == external_id
    )
    row = connection.execute(query).first()
    return account_from_row(row) if row else None


def set_account_status(
    connection: Connection, account_id: UUID, status: AccountStatus, now: datetime
) -> None:
    connection.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(status=status.value, updated_at=now)
    )


def account_balances(
    connection: Connection, account_id: UUID, *, lock: bool = False
) -> list[Balance]:
    query = (
        select(balances)
        .where(balances.c.account_id == account_id)
        .order_by(balances.c.account_id, balances.c.currency)
    )
    if lock:
        query = query.with_for_update()
    return [balance_from_row(row) for row in connection.execute(query)]
