"""Read-only queries for `verify`: whole-table scans, streamed, never locking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, Subquery, and_, case, exists, func, select, union_all
from sqlalchemy.orm import aliased

from tallybook.model import AccountKind, TransferStatus
from tallybook.storage.history_sources import history_tables
from tallybook.storage.tables import accounts, balances, entries_archive, tenants, transfers

STREAM_ROWS = 5000


def _all_entries() -> Subquery:
    """Live and archived entries as one history (each table is read in chain order by its
    own index, and the database merges the two)."""
    return union_all(*(select(table) for table in history_tables())).subquery("all_entries")


def stream_entries_by_chain(connection: Connection) -> Iterator[Row[Any]]:
    """Every entry, live or archived, ordered by account, currency and sequence (the chains,
    one after another)."""
    every = _all_entries()
    query = select(every).order_by(every.c.account_id, every.c.currency, every.c.sequence)
    streaming = connection.execution_options(stream_results=True, yield_per=STREAM_ROWS)
    yield from streaming.execute(query)


def all_balances(connection: Connection) -> list[Row[Any]]:
    query = select(balances, accounts.c.kind).join(accounts, accounts.c.id == balances.c.account_id)
    return list(connection.execute(query))


def tenant_currency_sums(connection: Connection) -> list[Row[Any]]:
    """Per tenant and currency, the sum of posted balances (must be exactly zero)."""
    query = select(
        balances.c.tenant_id, balances.c.currency, func.sum(balances.c.posted).label("total")
    ).group_by(balances.c.tenant_id, balances.c.currency)
    return list(connection.execute(query))


def archives_past_their_bound(connection: Connection) -> list[Row[Any]]:
    """Tenants whose archive holds an entry stamped after their `archived_through` (which
    history pages trust to skip the archive), with the newest archived moment."""
    newest = func.max(entries_archive.c.created_at)
    query = (
        select(tenants.c.id, tenants.c.archived_through, newest.label("newest"))
        .join(entries_archive, entries_archive.c.tenant_id == tenants.c.id)
        .group_by(tenants.c.id, tenants.c.archived_through)
        .having(tenants.c.archived_through.is_(None) | (newest > tenants.c.archived_through))
    )
    return list(connection.execute(query))


def open_hold_sums(connection: Connection) -> dict[tuple[Any, str], int]:
    """Per debit account and currency, the sum of the holds still open."""
    query = (
        select(
            transfers.c.debit_account_id,
            transfers.c.currency,
            func.sum(transfers.c.amount).label("total"),
        )
        .where(transfers.c.status == TransferStatus.PENDING.value)
        .group_by(transfers.c.debit_account_id, transfers.c.currency)
    )
    return {
        (row.debit_account_id, row.currency): int(row.total) for row in connection.execute(query)
    }


def unbalanced_transfers(connection: Connection, limit: int) -> list[Row[Any]]:
    """Transfers whose entries are not exactly (-amount, +amount) on their two accounts.

    A transfer that should have entries is posted and is not a posted hold (the hold's own row;
    its entries belong to the transfer that posted it). Every other transfer has none.
    """
    entries = _all_entries()
    resolution = aliased(transfers)
    is_posted_hold = exists().where(resolution.c.pending_id == transfers.c.id)
    should_have_entries = and_(transfers.c.status == TransferStatus.POSTED.value, ~is_posted_hold)
    debit_side = func.sum(
        case((entries.c.account_id == transfers.c.debit_account_id, entries.c.amount), else_=0)
    )
    credit_side = func.sum(
        case((entries.c.account_id == transfers.c.credit_account_id, entries.c.amount), else_=0)
    )
    entry_count = func.count(entries.c.id)
    expected_count = case((should_have_entries, 2), else_=0)
    query = (
        select(transfers.c.id, transfers.c.amount, entry_count.label("entry_count"))
        .select_from(transfers.outerjoin(entries, entries.c.transfer_id == transfers.c.id))
        .group_by(transfers.c.id, transfers.c.amount, transfers.c.status)
        .having(
            (entry_count != expected_count)
            | ((entry_count > 0) & (debit_side != -transfers.c.amount))
            | ((entry_count > 0) & (credit_side != transfers.c.amount))
        )
        .limit(limit)
    )
    return list(connection.execute(query))


def transfers_with_broken_references(connection: Connection, limit: int) -> list[Row[Any]]:
    """Transfers whose tenant does not exist, or whose debit or credit account does not exist
    or is another tenant's; with which of the three holds (`has_tenant`, `debit_ok`,
    `credit_ok`). PostgreSQL has no foreign keys for these (see `tables._posting_references`)."""
    debit, credit = aliased(accounts), aliased(accounts)
    has_tenant = tenants.c.id.is_not(None)
    debit_ok = debit.c.tenant_id == transfers.c.tenant_id
    credit_ok = credit.c.tenant_id == transfers.c.tenant_id
    query = (
        select(
            transfers.c.id,
            has_tenant.label("has_tenant"),
            func.coalesce(debit_ok, False).label("debit_ok"),
            func.coalesce(credit_ok, False).label("credit_ok"),
        )
        .select_from(
            transfers.outerjoin(tenants, tenants.c.id == transfers.c.tenant_id)
            .outerjoin(debit, debit.c.id == transfers.c.debit_account_id)
            .outerjoin(credit, credit.c.id == transfers.c.credit_account_id)
        )
        .where(~has_tenant | ~func.coalesce(debit_ok, False) | ~func.coalesce(credit_ok, False))
        .limit(limit)
    )
    return list(connection.execute(query))


def entries_with_broken_references(connection: Connection, limit: int) -> list[Row[Any]]:
    """Entries, live or archived, whose transfer does not exist, or is another tenant's, or
    moves neither the entry's account: the entry's own account and tenant are then the
    transfer's, which `transfers_with_broken_references` checks exist."""
    every = _all_entries()
    has_transfer = transfers.c.id.is_not(None)
    query = (
        select(every.c.id, every.c.transfer_id, has_transfer.label("has_transfer"))
        .select_from(every.outerjoin(transfers, transfers.c.id == every.c.transfer_id))
        .where(
            ~has_transfer
            | (every.c.tenant_id != transfers.c.tenant_id)
            | every.c.account_id.not_in(
                [transfers.c.debit_account_id, transfers.c.credit_account_id]
            )
        )
        .limit(limit)
    )
    return list(connection.execute(query))


def counts(connection: Connection) -> dict[str, int]:
    return {
        "tenants": connection.scalar(select(func.count()).select_from(tenants)) or 0,
        "accounts": connection.scalar(select(func.count()).select_from(accounts)) or 0,
        "customer_accounts": connection.scalar(
            select(func.count()).where(accounts.c.kind == AccountKind.CUSTOMER.value)
        )
        or 0,
        "transfers": connection.scalar(select(func.count()).select_from(transfers)) or 0,
        "entries": sum(
            connection.scalar(select(func.count()).select_from(table)) or 0
            for table in history_tables()
        ),
        "archived_entries": connection.scalar(select(func.count()).select_from(entries_archive))
        or 0,
    }
