"""Moving old entries from `entries` to `entries_archive`, unchanged.

The move is an INSERT of exact copies followed by a DELETE of the originals, in one
transaction. The DELETE passes `entries`' trigger only for rows whose identical copy (every
column) is already archived, so the move cannot lose or alter a row, and nothing else can
delete history. On PostgreSQL the archive is partitioned by month of `created_at`; missing
monthly partitions are created first, in their own short transaction (creating a partition
locks the archive's parent table, which readers of the history also use). The move also
records, on the tenant, the newest moment its archive now holds (`archived_through`), which
tells a history page whether the archive can hold any of its rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import Connection, delete, func, insert, or_, select, text, update

from tallybook.storage.posting_repository import chunked
from tallybook.storage.tables import ARCHIVE_PARTITION_PREFIX, entries, entries_archive, tenants

# Serialises the partition DDL of concurrent archive runs (PostgreSQL advisory lock key).
PARTITION_LOCK_KEY = 7_401_853_114


def oldest_live_entries(
    connection: Connection, tenant_id: UUID, cutoff: datetime, limit: int
) -> list[tuple[int, datetime]]:
    """(id, created_at) of the tenant's oldest live entries stamped before `cutoff`."""
    query = (
        select(entries.c.id, entries.c.created_at)
        .where(entries.c.tenant_id == tenant_id, entries.c.created_at < cutoff)
        .order_by(entries.c.created_at, entries.c.id)
        .limit(limit)
    )
    return [(row.id, row.created_at) for row in connection.execute(query)]


def _month_start(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


def partition_name(month: date) -> str:
    return f"{ARCHIVE_PARTITION_PREFIX}{month:%Y%m}"


def ensure_partitions(connection: Connection, moments: Iterable[datetime]) -> list[str]:
    """Create the missing monthly partitions (PostgreSQL) that rows stamped at `moments` go
    to; returns the names created. SQLite has one archive table and needs none."""
    if connection.dialect.name != "postgresql":
        return []
    connection.execute(select(func.pg_advisory_xact_lock(PARTITION_LOCK_KEY)))
    created: list[str] = []
    for month in sorted({_month_start(moment) for moment in moments}):
        name = partition_name(month)
        if connection.execute(select(func.to_regclass(name))).scalar() is not None:
            continue
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        connection.execute(
            text(
                f"CREATE TABLE {name} PARTITION OF entries_archive "
                f"FOR VALUES FROM ('{month:%Y-%m-%d} 00:00:00+00') "
                f"TO ('{following:%Y-%m-%d} 00:00:00+00')"
            )
        )
        created.append(name)
    return created


def move_to_archive(connection: Connection, entry_ids: Collection[int]) -> int:
    """Copy the entries into the archive, then delete the originals, and raise each tenant's
    `archived_through` to the newest moment moved; returns how many moved.

    Raises RuntimeError (the caller's transaction then rolls back) unless exactly these ids
    were copied and exactly these deleted.
    """
    columns = [column.name for column in entries.c]
    archived = entries_archive.c
    newest: dict[UUID, datetime] = {}
    for chunk in chunked(sorted(entry_ids)):
        source = select(*(entries.c[name] for name in columns)).where(entries.c.id.in_(chunk))
        copy = (
            insert(entries_archive)
            .from_select(columns, source)
            .returning(archived.id, archived.tenant_id, archived.created_at)
        )
        copied = set()
        for entry_id, tenant_id, created_at in connection.execute(copy):
            copied.add(entry_id)
            newest[tenant_id] = max(created_at, newest.get(tenant_id, created_at))
        removal = delete(entries).where(entries.c.id.in_(chunk)).returning(entries.c.id)
        deleted = set(connection.execute(removal).scalars())
        if not copied == deleted == set(chunk):
            raise RuntimeError(
                f"archive move of {len(chunk)} entries copied {len(copied)}, deleted {len(deleted)}"
            )
    for tenant_id, moment in newest.items():
        _raise_archived_through(connection, tenant_id, moment)
    return len(entry_ids)


def _raise_archived_through(connection: Connection, tenant_id: UUID, moment: datetime) -> None:
    """The tenant's `archived_through` becomes `moment` unless it is already as late."""
    through = tenants.c.archived_through
    connection.execute(
        update(tenants)
        .where(tenants.c.id == tenant_id, or_(through.is_(None), through < moment))
        .values(archived_through=moment)
    )
