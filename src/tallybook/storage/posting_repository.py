"""The statements the posting engine issues inside its one transaction per batch.

Every function takes the engine's open connection; none commits. Locks are taken in one fixed
order — account rows (shared) sorted by id, then balance rows (exclusive) sorted by account id
and currency — so two batches can never wait on each other in a cycle. On SQLite the
`BEGIN IMMEDIATE` that opened the transaction already serialises writers, and the FOR clauses
render as nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from tallybook.model import Account, Transfer, TransferStatus
from tallybook.storage.rows import account_from_row, transfer_from_row, transfer_to_row
from tallybook.storage.tables import accounts, balances, entries, transfers

BalanceKey = tuple[UUID, str]


@dataclass(slots=True)
class LockedBalance:
    """A balance row held under lock for the rest of the transaction; the engine edits it."""

    account_id: UUID
    currency: str
    tenant_id: UUID
    posted: int
    held: int
    credit_limit: int
    version: int
    last_sequence: int
    last_entry_hash: str | None

    @property
    def key(self) -> BalanceKey:
        return (self.account_id, self.currency)


def lock_accounts(connection: Connection, account_ids: Collection[UUID]) -> dict[UUID, Account]:
    """Read the accounts with a shared lock, so a freeze or close waits for this batch."""
    if not account_ids:
        return {}
    query = (
        select(accounts)
        .where(accounts.c.id.in_(sorted(account_ids)))
        .order_by(accounts.c.id)
        .with_for_update(read=True)
    )
    return {row.id: account_from_row(row) for row in connection.execute(query)}


def lock_balances(
    connection: Connection,
    keys: Collection[BalanceKey],
    tenant_of_account: dict[UUID, UUID],
    now: datetime,
) -> dict[BalanceKey, LockedBalance]:
    """Lock the balance rows of `keys` in sorted order, creating the missing ones at zero.

    A row created here is locked after the others; in the rare case that this crosses another
    batch's order, PostgreSQL reports a deadlock and the engine retries the batch.
    """
    locked = _select_for_update(connection, keys)
    missing = [key for key in keys if key not in locked]
    if missing:
        rows = [
            {
                "account_id": account_id,
                "currency": currency,
                "tenant_id": tenant_of_account[account_id],
                "posted": 0,
                "held": 0,
                "credit_limit": 0,
                "version": 0,
                "last_sequence": 0,
                "last_entry_hash": None,
                "updated_at": now,
            }
            for account_id, currency in sorted(missing)
        ]
        dialect_insert = postgresql.insert if _is_postgresql(connection) else sqlite.insert
        connection.execute(dialect_insert(balances).on_conflict_do_nothing(), rows)
        locked.update(_select_for_update(connection, missing))
    return locked


def _select_for_update(
    connection: Connection, keys: Collection[BalanceKey]
) -> dict[BalanceKey, LockedBalance]:
    if not keys:
        return {}
    query = (
        select(balances)
        .where(tuple_(balances.c.account_id, balances.c.currency).in_(sorted(keys)))
        .order_by(balances.c.account_id, balances.c.currency)
        .with_for_update()
    )
    result: dict[BalanceKey, LockedBalance] = {}
    for row in connection.execute(query):
        balance = LockedBalance(
            account_id=row.account_id,
            currency=row.currency,
            tenant_id=row.tenant_id,
            posted=row.posted,
            held=row.held,
            credit_limit=row.credit_limit,
            version=row.version,
            last_sequence=row.last_sequence,
            last_entry_hash=row.last_entry_hash,
        )
        result[balance.key] = balance
    return result


def load_transfers(connection: Connection, transfer_ids: Collection[UUID]) -> dict[UUID, Transfer]:
    if not transfer_ids:
        return {}
    query = select(transfers).where(transfers.c.id.in_(list(transfer_ids)))
    return {row.id: transfer_from_row(row) for row in connection.execute(query)}


def find_resolutions(
    connection: Connection, hold_ids: Collection[UUID]
) -> dict[UUID, TransferStatus]:
    """For each of these holds that is resolved, how: read after the locks, so it is current."""
    if not hold_ids:
        return {}
    query = select(transfers.c.pending_id, transfers.c.status).where(
        transfers.c.pending_id.in_(list(hold_ids))
    )
    return {row.pending_id: TransferStatus(row.status) for row in connection.execute(query)}


def find_by_idempotency_keys(
    connection: Connection, keys: Collection[tuple[UUID, str]]
) -> dict[tuple[UUID, str], Transfer]:
    """The transfers that already claimed these (tenant, idempotency key) pairs."""
    if not keys:
        return {}
    query = select(transfers).where(
        tuple_(transfers.c.tenant_id, transfers.c.idempotency_key).in_(list(keys))
    )
    found = (transfer_from_row(row) for row in connection.execute(query))
    return {(transfer.tenant_id, transfer.idempotency_key or ""): transfer for transfer in found}


def find_reversed(connection: Connection, transfer_ids: Collection[UUID]) -> set[UUID]:
    """Which of these transfers already have a reversal."""
    if not transfer_ids:
        return set()
    query = select(transfers.c.reversal_of_id).where(
        transfers.c.reversal_of_id.in_(list(transfer_ids))
    )
    return {row.reversal_of_id for row in connection.execute(query)}


def find_due_holds(
    connection: Connection, tenant_id: UUID | None, now: datetime, limit: int
) -> list[Transfer]:
    """Open holds whose timeout has passed, oldest deadline first."""
    query = (
        select(transfers)
        .where(transfers.c.status == TransferStatus.PENDING.value, transfers.c.expires_at <= now)
        .order_by(transfers.c.expires_at)
        .limit(limit)
    )
    if tenant_id is not None:
        query = query.where(transfers.c.tenant_id == tenant_id)
    return [transfer_from_row(row) for row in connection.execute(query)]


def append(
    connection: Connection,
    new_transfers: Iterable[Transfer],
    resolved_holds: Iterable[tuple[UUID, TransferStatus]],
    new_entries: list[dict[str, Any]],
    changed_balances: Iterable[LockedBalance],
    now: datetime,
) -> None:
    """Write one batch: transfers, hold resolutions, entries, then each balance once."""
    transfer_rows = [transfer_to_row(transfer) for transfer in new_transfers]
    if transfer_rows:
        connection.execute(insert(transfers), transfer_rows)
    resolution_rows = [
        {"b_id": hold_id, "b_status": status.value} for hold_id, status in resolved_holds
    ]
    if resolution_rows:
        connection.execute(
            update(transfers)
            .where(
                transfers.c.id == bindparam("b_id"),
                transfers.c.status == TransferStatus.PENDING.value,
            )
            .values(status=bindparam("b_status")),
            resolution_rows,
        )
    if new_entries:
        connection.execute(insert(entries), new_entries)
    balance_rows = [
        {
            "b_account_id": balance.account_id,
            "b_currency": balance.currency,
            "posted": balance.posted,
            "held": balance.held,
            "version": balance.version,
            "last_sequence": balance.last_sequence,
            "last_entry_hash": balance.last_entry_hash,
            "updated_at": now,
        }
        for balance in changed_balances
    ]
    if balance_rows:
        connection.execute(
            update(balances).where(
                balances.c.account_id == bindparam("b_account_id"),
                balances.c.currency == bindparam("b_currency"),
            ),
            balance_rows,
        )


def _is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"
