"""Archiving: moving a tenant's old entries out of the live table, changing nothing else.

Why: the live `entries` table takes every write and its indexes should stay small enough to
live in memory; years of history rarely read can sit elsewhere (on PostgreSQL, monthly
partitions that can be backed up, moved to cheaper storage or re-indexed a month at a time).

What stays true: each row moves unchanged (same id, amounts, balances, sequence, hash), so no
balance changes and every hash chain still verifies; rows move oldest first, so a chain's
archived rows are always its beginning; every history read (lists, exports, balances as of a
moment, summaries, statements, verify) covers both tables unless told `archived` / `live`.

Which entries: a tenant's `archive_after_months` setting N archives every whole UTC month
that ended at least N months before the current month began: on 2026-11-23 with N = 12,
everything stamped before 2025-11-01.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from tallybook.ledger import accounts, errors
from tallybook.storage import accounts_repository, archive_repository
from tallybook.storage.database import Database

MAX_ARCHIVE_AFTER_MONTHS = 1200
ARCHIVE_BATCH_ENTRIES = 10_000


@dataclass
class ArchiveReport:
    tenant_id: UUID
    cutoff: datetime
    moved: int = 0
    transactions: int = 0
    partitions_created: list[str] = field(default_factory=list)


def check_months(months: int | None) -> int | None:
    if months is not None and not 1 <= months <= MAX_ARCHIVE_AFTER_MONTHS:
        raise errors.ValidationError(
            f"archive after 1 to {MAX_ARCHIVE_AFTER_MONTHS} months, or never",
            field="archive_after_months",
        )
    return months


def cutoff_for(now: datetime, months: int) -> datetime:
    """The first instant not archived: the 1st of the month `months` before this one (UTC)."""
    utc = now.astimezone(UTC)
    month_index = utc.year * 12 + utc.month - 1 - months
    return datetime(month_index // 12, month_index % 12 + 1, 1, tzinfo=UTC)


def archive_tenant(
    database: Database,
    tenant_id: UUID,
    now: datetime,
    *,
    older_than_months: int | None = None,
    batch_entries: int = ARCHIVE_BATCH_ENTRIES,
) -> ArchiveReport:
    """Move the tenant's entries older than its setting (or `older_than_months`) to the
    archive, `batch_entries` per transaction so no lock is held long.

    Raises TenantNotFound, ValidationError when neither the tenant nor the call gives a
    number of months (or it is out of 1..1200).
    """
    with database.read() as connection:
        tenant = accounts.require_tenant(connection, tenant_id)
    months = check_months(older_than_months) or tenant.archive_after_months
    if months is None:
        raise errors.ValidationError(
            "the tenant has no archive setting: give the number of months",
            field="archive_after_months",
        )
    report = ArchiveReport(tenant_id=tenant_id, cutoff=cutoff_for(now, months))
    while True:
        with database.read() as connection:
            batch = archive_repository.oldest_live_entries(
                connection, tenant_id, report.cutoff, batch_entries
            )
        if not batch:
            return report
        with database.write() as connection:
            report.partitions_created += archive_repository.ensure_partitions(
                connection, [created_at for _id, created_at in batch]
            )
        with database.write() as connection:
            report.moved += archive_repository.move_to_archive(
                connection, [entry_id for entry_id, _created_at in batch]
            )
        report.transactions += 1


def set_archive_after_months(database: Database, tenant_id: UUID, months: int | None) -> None:
    """Raises TenantNotFound, ValidationError (months out of 1..1200)."""
    check_months(months)
    with database.write() as connection:
        accounts.require_tenant(connection, tenant_id)
        accounts_repository.set_archive_after_months(connection, tenant_id, months)
