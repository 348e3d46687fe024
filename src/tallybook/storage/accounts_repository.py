"""Queries for tenants, currencies, accounts and reading balances."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tallybook.model import Account, AccountKind, AccountStatus, Balance, Currency, Tenant
from tallybook.storage.numbers import highest_number
from tallybook.storage.posting_repository import chunked, one_of
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


def find_tenant_by_name(connection: Connection, name: str) -> Tenant | None:
    """The oldest tenant called `name`: names are not unique, so the first one made wins."""
    query = (
        select(tenants)
        .where(tenants.c.name == name)
        .order_by(tenants.c.created_at, tenants.c.id)
        .limit(1)
    )
    row = connection.execute(query).first()
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
    rows = connection.execute(
        _currencies_query(connection.dialect.name), {"tenant_ids": list(tenant_ids)}
    )
    return [Currency(tenant_id=row.tenant_id, code=row.code, decimals=row.decimals) for row in rows]


@cache
def _currencies_query(dialect_name: str) -> Select[Any]:
    """Built once (see `one_of`): the posting engine reads the currencies every batch."""
    return select(currencies).where(one_of(dialect_name, currencies.c.tenant_id, "tenant_ids"))


def next_account_number(connection: Connection, tenant_id: UUID) -> int:
    """The number the tenant's next account gets (see `numbers.highest_number`)."""
    return highest_number(connection, accounts, tenant_id) + 1


def find_account_by_number(connection: Connection, tenant_id: UUID, number: int) -> Account | None:
    query = select(accounts).where(accounts.c.tenant_id == tenant_id, accounts.c.number == number)
    row = connection.execute(query).first()
    return account_from_row(row) if row else None


def accounts_by_ids(connection: Connection, account_ids: Collection[UUID]) -> dict[UUID, Account]:
    found: dict[UUID, Account] = {}
    for chunk in chunked(sorted(account_ids)):
        query = select(accounts).where(accounts.c.id.in_(chunk))
        found.update((row.id, account_from_row(row)) for row in connection.execute(query))
    return found


def insert_account(connection: Connection, account: Account) -> bool:
    """Insert `account`; False when its external id is taken in the tenant."""
    values: dict[str, Any] = {
        "id": account.id,
        "tenant_id": account.tenant_id,
        "number": account.number,
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


_sub_accounts = accounts.alias("sub_accounts")
_ACCOUNT_WITH_BALANCES = (
    select(
        accounts,
        balances.c.currency.label("balance_currency"),
        balances.c.posted.label("balance_posted"),
        balances.c.held.label("balance_held"),
        balances.c.credit_limit.label("balance_credit_limit"),
        exists()
        .where(
            # both columns, so the (tenant_id, parent_id) index answers it
            _sub_accounts.c.tenant_id == accounts.c.tenant_id,
            _sub_accounts.c.parent_id == accounts.c.id,
        )
        .label("has_sub_accounts"),
    )
    .select_from(accounts.outerjoin(balances, balances.c.account_id == accounts.c.id))
    .where(accounts.c.id == bindparam("account_id"))
    .order_by(balances.c.currency)
)


def account_with_balances(
    connection: Connection, account_id: UUID
) -> tuple[Account, list[Balance], bool] | None:
    """The account, its balances (by currency) and whether it has sub-accounts, in one
    statement: reading an account is the commonest request, and each statement is a round
    trip."""
    rows = connection.execute(_ACCOUNT_WITH_BALANCES, {"account_id": account_id}).all()
    if not rows:
        return None
    account = account_from_row(rows[0])
    found = [
        Balance(
            account_id=account.id,
            currency=row.balance_currency,
            posted=row.balance_posted,
            held=row.balance_held,
            credit_limit=row.balance_credit_limit,
        )
        for row in rows
        if row.balance_currency is not None
    ]
    return account, found, bool(rows[0].has_sub_accounts)


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


def update_account_details(connection: Connection, account: Account, now: datetime) -> None:
    """Write the descriptive fields of `account` (never its status, kind or parent)."""
    connection.execute(
        update(accounts)
        .where(accounts.c.id == account.id)
        .values(
            name=account.name,
            metadata=dict(account.metadata),
            tags=list(account.tags),
            payout_profile=dict(account.payout_profile),
            updated_at=now,
        )
    )


def child_account_ids(connection: Connection, parent_ids: Collection[UUID]) -> list[UUID]:
    if not parent_ids:
        return []
    query = select(accounts.c.id).where(accounts.c.parent_id.in_(sorted(parent_ids)))
    return list(connection.execute(query).scalars())


def balance_totals(
    connection: Connection, account_ids: Collection[UUID], owner_id: UUID
) -> list[Balance]:
    """Per currency, the sums of the accounts' balances, shown as balances of `owner_id`."""
    if not account_ids:
        return []
    query = (
        select(
            balances.c.currency,
            func.sum(balances.c.posted).label("posted"),
            func.sum(balances.c.held).label("held"),
            func.sum(balances.c.credit_limit).label("credit_limit"),
        )
        .where(balances.c.account_id.in_(sorted(account_ids)))
        .group_by(balances.c.currency)
        .order_by(balances.c.currency)
    )
    return [
        Balance(
            account_id=owner_id,
            currency=row.currency,
            posted=int(row.posted),
            held=int(row.held),
            credit_limit=int(row.credit_limit),
        )
        for row in connection.execute(query)
    ]


def balances_of_accounts(
    connection: Connection, account_ids: Collection[UUID]
) -> dict[UUID, list[Balance]]:
    found: dict[UUID, list[Balance]] = {account_id: [] for account_id in account_ids}
    if not account_ids:
        return found
    query = (
        select(balances)
        .where(balances.c.account_id.in_(sorted(account_ids)))
        .order_by(balances.c.account_id, balances.c.currency)
    )
    for row in connection.execute(query):
        found[row.account_id].append(balance_from_row(row))
    return found


def parents_among(connection: Connection, account_ids: Collection[UUID]) -> set[UUID]:
    """Which of the accounts have sub-accounts."""
    if not account_ids:
        return set()
    query = select(accounts.c.parent_id).where(accounts.c.parent_id.in_(sorted(account_ids)))
    return set(connection.execute(query.distinct()).scalars())


def system_account_ids(connection: Connection, tenant_id: UUID) -> list[UUID]:
    query = select(accounts.c.id).where(
        accounts.c.tenant_id == tenant_id, accounts.c.kind == AccountKind.SYSTEM.value
    )
    return list(connection.execute(query.order_by(accounts.c.id)).scalars())


def set_archive_after_months(connection: Connection, tenant_id: UUID, months: int | None) -> None:
    connection.execute(
        update(tenants).where(tenants.c.id == tenant_id).values(archive_after_months=months)
    )


def archiving_tenants(connection: Connection) -> list[Tenant]:
    """Tenants with an archive setting, oldest first."""
    query = (
        select(tenants)
        .where(tenants.c.archive_after_months.is_not(None))
        .order_by(tenants.c.created_at, tenants.c.id)
    )
    return [tenant_from_row(row) for row in connection.execute(query)]
