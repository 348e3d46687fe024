"""Bulk-loading a Tallybook history of millions of entries for W5 and W6.

Through the posting engine the current service writes a few thousand entries a second here
(5,000,000 would take over half an hour), so the suite writes the engine's own rows with
PostgreSQL's COPY: every transfer posted, two entries each with the balance before and after,
the per-chain sequence and the hash chain computed by `tallybook.ledger.chain.entry_hash`,
and finally each balance row set to its chain's head. The indexes that back no constraint
are dropped for the load and built again after it, with their own definitions. Tenant,
currency, key and accounts are made through the ledger core. Foreign-key triggers are off
during the COPY (the rows refer only to what the core just made); `tallybook verify` at the
end of the run recomputes every balance and hash from these rows, so a loader mistake shows
as drift.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg import sql

from suite.entry_rows import chained_entry
from suite.history_shape import CUSTOMERS, HistoryShape, Move, moves
from suite.processes import say
from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.ledger.ids import new_id
from tallybook.model import Role, SystemAccount
from tallybook.storage import migrate
from tallybook.storage.database import Database

CURRENCY = "CNY"
COPY_CHUNK = 100_000  # transfers per pair of COPY statements


@dataclass(frozen=True)
class HistoryFixture:
    shape: HistoryShape
    api_key: str
    revenue: UUID


@dataclass(slots=True)
class _Head:
    posted: int = 0
    sequence: int = 0
    hash: str | None = None
    at: datetime | None = None


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_history(url: str, shape: HistoryShape) -> HistoryFixture:
    """Migrate the empty PostgreSQL database at `url` and load the history of `shape`."""
    database = Database(url)
    migrate.upgrade(database)
    with Ledger(database) as ledger:
        tenant = ledger.create_tenant("History platform")
        ledger.configure_currency(tenant.id, CURRENCY)
        _record, api_key = issue_key(ledger, tenant.id, "benchmark", Role.WRITE)
        world = ledger.system_account(tenant.id, SystemAccount.WORLD, CURRENCY).id
        revenue = ledger.system_account(tenant.id, SystemAccount.REVENUE, CURRENCY).id
        customers = [
            ledger.create_account(tenant.id, f"shopper-{n}", f"Shopper {n}").id
            for n in range(CUSTOMERS)
        ]
    database.dispose()
    heads: dict[UUID, _Head] = {account: _Head() for account in [world, revenue, *customers]}
    started = time.perf_counter()
    with psycopg.connect(_psycopg_url(url)) as connection:
        connection.execute("SET session_replication_role = replica")
        with connection.cursor() as cursor:
            rebuilt_later = _drop_plain_indexes(cursor, ("transfers", "entries"))
            transfer_rows: list[tuple[object, ...]] = []
            entry_rows: list[tuple[object, ...]] = []
            for move in moves(shape):
                _add(move, shape, tenant.id, world, revenue, customers, heads, transfer_rows,
                     entry_rows)  # fmt: skip
                if len(transfer_rows) == COPY_CHUNK:
                    _copy(cursor, transfer_rows, entry_rows)
                    rate = (move.number + 1) * 2 / (time.perf_counter() - started)
                    say(f"    {(move.number + 1) * 2:,} entries ({rate:,.0f}/s)")
            _copy(cursor, transfer_rows, entry_rows)
            say(f"    rebuilding {len(rebuilt_later)} indexes")
            for definition in rebuilt_later:
                cursor.execute(definition.encode())
            cursor.executemany(
                "INSERT INTO balances (account_id, currency, tenant_id, posted, held, "
                "credit_limit, version, last_sequence, last_entry_hash, last_entry_at, "
                "updated_at) VALUES (%s, %s, %s, %s, 0, 0, %s, %s, %s, %s, now()) "
                "ON CONFLICT (account_id, currency) DO UPDATE SET posted = excluded.posted, "
                "version = excluded.version, last_sequence = excluded.last_sequence, "
                "last_entry_hash = excluded.last_entry_hash, "
                "last_entry_at = excluded.last_entry_at, updated_at = excluded.updated_at",
                [
                    (account, CURRENCY, tenant.id, head.posted, head.sequence, head.sequence,
                     head.hash, head.at)
                    for account, head in heads.items()
                ],
            )  # fmt: skip
        connection.execute("SET session_replication_role = DEFAULT")
        connection.commit()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as connection:
        connection.execute("ANALYZE")
    say(f"  loaded {shape.entries:,} entries in {time.perf_counter() - started:.0f} s")
    return HistoryFixture(shape, api_key, revenue)


def _add(
    move: Move,
    shape: HistoryShape,
    tenant_id: UUID,
    world: UUID,
    revenue: UUID,
    customers: list[UUID],
    heads: dict[UUID, _Head],
    transfer_rows: list[tuple[object, ...]],
    entry_rows: list[tuple[object, ...]],
) -> None:
    """The rows the engine would write for `move`: its transfer and its two entries."""
    customer = customers[move.customer]
    debit, credit = (world, customer) if move.is_topup else (customer, revenue)
    moment = shape.moment(move.number)
    transfer_id = new_id()
    transfer_rows.append(
        (transfer_id, tenant_id, debit, credit, move.amount_minor, CURRENCY, move.type,
         "posted", "[]", "{}", moment)
    )  # fmt: skip
    for account, signed in ((debit, -move.amount_minor), (credit, move.amount_minor)):
        head = heads[account]
        entry = chained_entry(
            tenant_id,
            transfer_id,
            account,
            CURRENCY,
            signed,
            (head.posted, head.sequence, head.hash),
            moment,
        )
        entry_rows.append(entry.row)
        head.posted, head.sequence, head.hash, head.at = (
            entry.balance_after,
            entry.sequence,
            entry.hash,
            moment,
        )


def _drop_plain_indexes(
    cursor: psycopg.Cursor[tuple[object, ...]], tables: tuple[str, ...]
) -> list[str]:
    """Drop the tables' indexes that back no constraint; their definitions, to build them
    again after the load (one sort per index instead of a tree update per row)."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes AS i "
        "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint AS c WHERE c.conname = i.indexname)",
        (list(tables),),
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(str(name))))
    return [str(definition) for _name, definition in found]


def _copy(
    cursor: psycopg.Cursor[tuple[object, ...]],
    transfer_rows: list[tuple[object, ...]],
    entry_rows: list[tuple[object, ...]],
) -> None:
    """COPY a chunk of transfers, then their entries (one COPY at a time per connection)."""
    with cursor.copy(
        "COPY transfers (id, tenant_id, debit_account_id, credit_account_id, amount, currency, "
        "type, status, tags, metadata, created_at) FROM STDIN"
    ) as copy:
        for row in transfer_rows:
            copy.write_row(row)
    with cursor.copy(
        "COPY entries (tenant_id, transfer_id, account_id, currency, amount, balance_before, "
        "balance_after, sequence, created_at, hash) FROM STDIN"
    ) as copy:
        for row in entry_rows:
            copy.write_row(row)
    transfer_rows.clear()
    entry_rows.clear()
