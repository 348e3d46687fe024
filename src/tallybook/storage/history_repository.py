"""Reading transfers and entries back."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Connection, select

from tallybook.model import Entry, Transfer
from tallybook.storage.rows import entry_from_row, transfer_from_row
from tallybook.storage.tables import entries, transfers


def get_transfer(connection: Connection, transfer_id: UUID) -> Transfer | None:
    row = connection.execute(select(transfers).where(transfers.c.id == transfer_id)).first()
    return transfer_from_row(row) if row else None


def account_entries(connection: Connection, account_id: UUID, currency: str | None) -> list[Entry]:
    query = select(entries).where(entries.c.account_id == account_id)
    if currency is not None:
        query = query.where(entries.c.currency == currency)
    query = query.order_by(entries.c.currency, entries.c.sequence)
    return [entry_from_row(row) for row in connection.execute(query)]
