"""Per-tenant numbers (1, 2, 3...) for accounts, top-ups and withdrawals: the integer ids the
seed APIs show, beside the UUIDs that stay each row's identity."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Connection, Table, func, select

from tallybook.storage.tables import tenants


def highest_number(connection: Connection, table: Table, tenant_id: UUID) -> int:
    """The highest number of the tenant's rows in `table` (0 when it has none).

    Locks the tenant row (FOR NO KEY UPDATE, which foreign-key checks do not wait for) until
    the transaction ends, so concurrent writers in a tenant take numbers one after the other;
    SQLite's BEGIN IMMEDIATE serialises them anyway. Inside the posting engine the tenant row
    is the last lock a batch takes (after records, accounts and balances), and nothing that
    holds it waits for those, so the global lock order stays acyclic. Only transactions that
    create a numbered row take it.
    """
    connection.execute(
        select(tenants.c.id).where(tenants.c.id == tenant_id).with_for_update(key_share=True)
    )
    highest = connection.execute(
        select(func.max(table.c.number)).where(table.c.tenant_id == tenant_id)
    ).scalar()
    return int(highest or 0)
