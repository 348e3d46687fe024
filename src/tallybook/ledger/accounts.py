"""Tenants, currencies and accounts: the use cases that set up where money can live.

These do not move money, so they run in their own short transactions instead of the posting
engine's batches. A status change locks the account row (exclusive) and then its balances, the
same order the engine uses (account rows shared, then balances), so a freeze or a close waits
for any batch touching the account and every later batch sees the new status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from tallybook.ledger import errors
from tallybook.ledger.ids import new_id
from tallybook.ledger.limits import MAX_REFERENCE_LENGTH, check_metadata, check_tags
from tallybook.ledger.money import (
    MAX_DECIMALS,
    default_decimals,
    to_minor_units,
    validate_currency_code,
)
from tallybook.model import (
    Account,
    AccountKind,
    AccountStatus,
    Balance,
    Currency,
    SystemAccount,
    Tenant,
)
from tallybook.storage import accounts_repository, posting_repository

MAX_NAME_LENGTH = 200
SYSTEM_EXTERNAL_ID_PREFIX = "@"


def create_tenant(connection: Connection, name: str, time_zone: str, now: datetime) -> Tenant:
    """Raises ValidationError for an empty or long name, or an unknown time zone."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise errors.ValidationError(f"a name is 1 to {MAX_NAME_LENGTH} characters", field="name")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise errors.ValidationError(f"unknown time zone {time_zone!r}", field="time_zone") from exc
    tenant = Tenant(id=new_id(), name=name, time_zone=time_zone, created_at=now)
    accounts_repository.insert_tenant(connection, tenant)
    return tenant


def require_tenant(connection: Connection, tenant_id: UUID) -> Tenant:
    tenant = accounts_repository.get_tenant(connection, tenant_id)
    if tenant is None:
        raise errors.TenantNotFound(f"tenant {tenant_id} does not exist", field="tenant_id")
    return tenant


def configure_currency(
    connection: Connection, tenant_id: UUID, code: str, decimals: int | None, now: datetime
) -> Currency:
    """Add a currency to a tenant, or confirm it.

    `decimals` defaults to what is configured already, else to ISO 4217. Raises
    InvalidCurrency for a malformed code, an unknown code without decimals, or decimals out
    of 0..8; Conflict when the decimals of a currency that already holds balances would
    change (stored minor units would change meaning).
    """
    require_tenant(connection, tenant_id)
    validate_currency_code(code)
    configured = {
        c.code: c.decimals for c in accounts_repository.list_currencies(connection, [tenant_id])
    }
    if decimals is None:
        decimals = configured.get(code, default_decimals(code))
        if decimals is None:
            raise errors.InvalidCurrency(code, "not an ISO 4217 currency: give its decimals")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise errors.InvalidCurrency(code, f"decimals must be 0 to {MAX_DECIMALS}")
    decimals_change = code in configured and configured[code] != decimals
    if decimals_change and accounts_repository.currency_in_use(connection, tenant_id, code):
        raise errors.Conflict(
            f"{code} already holds balances with {configured[code]} decimals", field="decimals"
        )
    currency = Currency(tenant_id=tenant_id, code=code, decimals=decimals)
    accounts_repository.upsert_currency(connection, currency, now)
    return currency


def create_account(
    connection: Connection,
    tenant_id: UUID,
    *,
    external_id: str,
    name: str,
    parent_id: UUID | None,
    metadata: Mapping[str, Any],
    tags: tuple[str, ...],
    payout_profile: Mapping[str, Any],
    now: datetime,
) -> Account:
    """Create a customer account, optionally under a parent of the same tenant.

    Raises ValidationError for bad fields (an external id may not start with "@", which marks
    system accounts), AccountNotFound for an unknown parent, AccountClosed for a closed
    parent, DuplicateAccount when the external id is taken.
    """
    require_tenant(connection, tenant_id)
    if not 1 <= len(external_id) <= MAX_REFERENCE_LENGTH:
        raise errors.ValidationError(
            f"an external id is 1 to {MAX_REFERENCE_LENGTH} characters", field="external_id"
        )
    if external_id.startswith(SYSTEM_EXTERNAL_ID_PREFIX):
        raise errors.ValidationError(
            "external ids starting with '@' are reserved for system accounts",
            field="external_id",
        )
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise errors.ValidationError(f"a name is 1 to {MAX_NAME_LENGTH} characters", field="name")
    check_metadata(dict(metadata))
    check_metadata(dict(payout_profile), field="payout_profile")
    check_tags(tags)
    if parent_id is not None:
        parent = accounts_repository.get_account(connection, parent_id)
        if parent is None or parent.tenant_id != tenant_id or parent.kind is AccountKind.SYSTEM:
            raise errors.AccountNotFound(f"account {parent_id} does not exist", field="parent_id")
        if parent.status is AccountStatus.CLOSED:
            raise errors.AccountClosed(f"account {parent_id} is closed", field="parent_id")
    account = Account(
        id=new_id(),
        tenant_id=tenant_id,
        number=accounts_repository.next_account_number(connection, tenant_id),
        external_id=external_id,
        name=name,
        parent_id=parent_id,
        status=AccountStatus.ACTIVE,
        kind=AccountKind.CUSTOMER,
        metadata=dict(metadata),
        tags=tags,
        payout_profile=dict(payout_profile),
        created_at=now,
        updated_at=now,
    )
    if not accounts_repository.insert_account(connection, account):
        raise errors.DuplicateAccount(
            f"external id {external_id!r} is already used", field="external_id"
        )
    return account


def system_account(
    connection: Connection, tenant_id: UUID, which: SystemAccount, currency: str, now: datetime
) -> Account:
    """The tenant's `which` account for `currency`, created on first use.

    Raises UnknownCurrency when the tenant has not configured the currency.
    """
    require_tenant(connection, tenant_id)
    codes = {c.code for c in accounts_repository.list_currencies(connection, [tenant_id])}
    if currency not in codes:
        raise errors.UnknownCurrency(currency)
    external_id = f"{SYSTEM_EXTERNAL_ID_PREFIX}{which.value}:{currency}"
    existing = accounts_repository.find_account_by_external_id(connection, tenant_id, external_id)
    if existing is not None:
        return existing
    account = Account(
        id=new_id(),
        tenant_id=tenant_id,
        number=accounts_repository.next_account_number(connection, tenant_id),
        external_id=external_id,
        name=f"{which.value} ({currency})",
        parent_id=None,
        status=AccountStatus.ACTIVE,
        kind=AccountKind.SYSTEM,
        metadata={"system": which.value, "currency": currency},
        tags=(),
        payout_profile={},
        created_at=now,
        updated_at=now,
    )
    if accounts_repository.insert_account(connection, account):
        return account
    # Another caller created it between our read and our insert.
    raced = accounts_repository.find_account_by_external_id(connection, tenant_id, external_id)
    assert raced is not None
    return raced


def account_by_number(connection: Connection, tenant_id: UUID, number: int) -> Account:
    """The tenant's account with this number (the seed APIs' integer id). Raises
    AccountNotFound."""
    account = accounts_repository.find_account_by_number(connection, tenant_id, number)
    if account is None:
        raise errors.AccountNotFound(f"account number {number} does not exist", field="number")
    return account


def require_account(connection: Connection, tenant_id: UUID, account_id: UUID) -> Account:
    account = accounts_repository.get_account(connection, account_id)
    if account is None or account.tenant_id != tenant_id:
        raise errors.AccountNotFound(f"account {account_id} does not exist", field="account_id")
    return account


_ALLOWED_STATUS_CHANGES = {
    AccountStatus.ACTIVE: {AccountStatus.FROZEN, AccountStatus.CLOSED},
    AccountStatus.FROZEN: {AccountStatus.ACTIVE, AccountStatus.CLOSED},
    AccountStatus.CLOSED: set[AccountStatus](),
}


def change_status(
    connection: Connection,
    tenant_id: UUID,
    account_id: UUID,
    status: AccountStatus,
    now: datetime,
) -> Account:
    """Freeze, unfreeze or close an account.

    Raises AccountNotFound; ValidationError for a system account; AccountClosed when the
    account is already closed; AccountNotEmpty when closing an account that holds money or
    has open holds. Freezing a frozen account (or unfreezing an active one) changes nothing.
    """
    account = accounts_repository.get_account(connection, account_id, lock=True)
    if account is None or account.tenant_id != tenant_id:
        raise errors.AccountNotFound(f"account {account_id} does not exist", field="account_id")
    if account.kind is AccountKind.SYSTEM:
        raise errors.ValidationError("system accounts are always active", field="account_id")
    if account.status is status:
        return account
    if status not in _ALLOWED_STATUS_CHANGES[account.status]:
        raise errors.AccountClosed(f"account {account_id} is closed", field="account_id")
    balances = accounts_repository.account_balances(connection, account_id, lock=True)
    if status is AccountStatus.CLOSED:
        holding = [b for b in balances if b.posted != 0 or b.held != 0]
        if holding:
            raise errors.AccountNotEmpty(
                f"account {account_id} still holds {holding[0].currency}", field="account_id"
            )
    accounts_repository.set_account_status(connection, account_id, status, now)
    return require_account(connection, tenant_id, account_id)


def balances_of(connection: Connection, tenant_id: UUID, account_id: UUID) -> list[Balance]:
    require_account(connection, tenant_id, account_id)
    return accounts_repository.account_balances(connection, account_id)


def set_credit_limit(
    connection: Connection,
    tenant_id: UUID,
    account_id: UUID,
    currency: str,
    credit_limit: Decimal,
    now: datetime,
) -> Balance:
    """Let a customer account's available balance go down to minus `credit_limit`.

    Locks the account (shared) then the balance, the engine's order. Raises AccountNotFound,
    UnknownCurrency, ValidationError (system account, or a negative limit), InvalidAmount
    (too many decimals), InsufficientFunds when the new limit is below what is already used.
    """
    account = require_account(connection, tenant_id, account_id)
    if account.kind is AccountKind.SYSTEM:
        raise errors.ValidationError("system accounts have no credit limit", field="account_id")
    if account.status is AccountStatus.CLOSED:
        raise errors.AccountClosed(f"account {account_id} is closed", field="account_id")
    decimals = {
        c.code: c.decimals for c in accounts_repository.list_currencies(connection, [tenant_id])
    }.get(currency)
    if decimals is None:
        raise errors.UnknownCurrency(currency)
    if credit_limit < 0:
        raise errors.ValidationError("a credit limit is zero or more", field="credit_limit")
    limit = 0 if credit_limit == 0 else to_minor_units(credit_limit, decimals, field="credit_limit")
    posting_repository.lock_accounts(connection, [account_id])
    key = (account_id, currency)
    balance = posting_repository.lock_balances(connection, [key], {account_id: tenant_id})[key]
    if balance.posted - balance.held + limit < 0:
        raise errors.InsufficientFunds(
            f"the account already uses {balance.held - balance.posted} minor units of credit",
            field="credit_limit",
        )
    balance.credit_limit = limit
    balance.version += 1
    posting_repository.write_balances(connection, [balance], now)
    return Balance(
        account_id=account_id,
        currency=currency,
        posted=balance.posted,
        held=balance.held,
        credit_limit=limit,
    )


@dataclass(frozen=True, slots=True)
class AccountChanges:
    """What an account update asks for; None leaves a field as it is."""

    name: str | None = None
    status: AccountStatus | None = None
    metadata: Mapping[str, Any] | None = None
    tags: tuple[str, ...] | None = None
    payout_profile: Mapping[str, Any] | None = None
    credit_limits: Mapping[str, Decimal] = field(default_factory=dict)


def update_account(
    connection: Connection,
    tenant_id: UUID,
    account_id: UUID,
    changes: AccountChanges,
    now: datetime,
) -> Account:
    """Apply `changes` all together, or none of them.

    Locks the account row first (the engine's order: account, then balances). Raises what
    `change_status` and `set_credit_limit` raise, ValidationError for a bad name, metadata,
    tags or payout profile, or any change to a system account.
    """
    account = accounts_repository.get_account(connection, account_id, lock=True)
    if account is None or account.tenant_id != tenant_id:
        raise errors.AccountNotFound(f"account {account_id} does not exist", field="account_id")
    if account.kind is AccountKind.SYSTEM:
        raise errors.ValidationError("system accounts cannot be changed", field="account_id")
    if changes.name is not None and not 1 <= len(changes.name) <= MAX_NAME_LENGTH:
        raise errors.ValidationError(f"a name is 1 to {MAX_NAME_LENGTH} characters", field="name")
    if changes.metadata is not None:
        check_metadata(dict(changes.metadata))
    if changes.payout_profile is not None:
        check_metadata(dict(changes.payout_profile), field="payout_profile")
    if changes.tags is not None:
        check_tags(changes.tags)
    details = replace(
        account,
        name=account.name if changes.name is None else changes.name,
        metadata=account.metadata if changes.metadata is None else dict(changes.metadata),
        tags=account.tags if changes.tags is None else changes.tags,
        payout_profile=(
            account.payout_profile
            if changes.payout_profile is None
            else dict(changes.payout_profile)
        ),
    )
    if details != account:
        accounts_repository.update_account_details(connection, details, now)
    if changes.status is not None:
        change_status(connection, tenant_id, account_id, changes.status, now)
    for currency, credit_limit in sorted(changes.credit_limits.items()):
        set_credit_limit(connection, tenant_id, account_id, currency, credit_limit, now)
    return require_account(connection, tenant_id, account_id)


def account_tree(connection: Connection, tenant_id: UUID, root_id: UUID) -> frozenset[UUID]:
    """The account and all its sub-accounts, at any depth. Raises AccountNotFound."""
    require_account(connection, tenant_id, root_id)
    tree = {root_id}
    level = [root_id]
    while level:
        children = accounts_repository.child_account_ids(connection, level)
        level = [child for child in children if child not in tree]
        tree.update(level)
    return frozenset(tree)


def tree_balance_totals(connection: Connection, tenant_id: UUID, root_id: UUID) -> list[Balance]:
    """Per currency, the account's balances plus all its sub-accounts'."""
    return accounts_repository.balance_totals(
        connection, account_tree(connection, tenant_id, root_id), root_id
    )


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account with its balances and, when it has sub-accounts, the totals of its tree."""

    account: Account
    balances: list[Balance]
    tree_totals: list[Balance] | None


def account_view(connection: Connection, tenant_id: UUID, account_id: UUID) -> AccountView:
    """One account with its balances (and its tree's totals when it has sub-accounts).
    Raises AccountNotFound, as for an id that never existed, for another tenant's."""
    found = accounts_repository.account_with_balances(connection, account_id)
    if found is None or found[0].tenant_id != tenant_id:
        raise errors.AccountNotFound(f"account {account_id} does not exist", field="account_id")
    account, balances, has_sub_accounts = found
    tree_totals = (
        tree_balance_totals(connection, tenant_id, account.id) if has_sub_accounts else None
    )
    return AccountView(account, balances, tree_totals)


def account_views(
    connection: Connection, tenant_id: UUID, listed: Sequence[Account]
) -> list[AccountView]:
    ids = [account.id for account in listed]
    balances = accounts_repository.balances_of_accounts(connection, ids)
    parents = accounts_repository.parents_among(connection, ids)
    return [
        AccountView(
            account=account,
            balances=balances[account.id],
            tree_totals=(
                tree_balance_totals(connection, tenant_id, account.id)
                if account.id in parents
                else None
            ),
        )
        for account in listed
    ]
