"""Reading transfers and entries back."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import Connection, select

from tallybook.model import Entry, Transfer
from tallybook.storage.history_sources import history_tables
from tallybook.storage.rows import entry_from_row, transfer_from_row
from tallybook.storage.tables import transfers


def get_transfer(connection: Connection, transfer_id: UUID) -> Transfer | None:
    row = connection.execute(select(transfers).where(transfers.c.id == transfer_id)).first()
    return transfer_from_row(row) if row else None


def account_entries(connection: Connection, account_id: UUID, currency: str | None) -> list[Entry]:
    """The account's entries, archived and live, by currency then sequence."""
    found: list[Entry] = []
    for table in history_tables():
        query = select(table).where(table.c.account_id == account_id)
        if currency is not None:
            query = query.where(table.c.currency == currency)
        found.extend(entry_from_row(row) for row in connection.execute(query))
    return sorted(found, key=lambda entry: (entry.currency, entry.sequence))


def resolved_hold_ids(connection: Connection, transfer_ids: Collection[UUID]) -> set[UUID]:
    """Which of the transfers are holds that a later transfer posted, voided or expired."""
    if not transfer_ids:
        return set()
    query = select(transfers.c.pending_id).where(transfers.c.pending_id.in_(sorted(transfer_ids)))
    return set(connection.execute(query).scalars())
