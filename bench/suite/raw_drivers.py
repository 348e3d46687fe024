"""The raw-driver baselines: the statements the posting engine issues for one batch, written
by hand with the driver alone (psycopg 3 on PostgreSQL, the standard `sqlite3` on SQLite),
with no engine, no SQLAlchemy and no HTTP. They show how close Tallybook gets to its own
storage.

One batch, in one transaction, the hot account paying N customers 0.01 each:

    BEGIN (SQLite: BEGIN IMMEDIATE)
    SELECT the accounts FOR SHARE, sorted          (PostgreSQL; SQLite's lock is the BEGIN)
    SELECT the balances FOR UPDATE, sorted
    -- in Python: check funds, balance before/after, sequence and the hash chain per entry
    INSERT the transfers and the entries, INSERT the new balances, UPDATE the others, each
    once: on PostgreSQL the engine's own statement (`batch_write`, each table's rows one
    JSON parameter); on SQLite executemany per table
    COMMIT

The rows are exactly Tallybook's (same tables, same hashes), so `tallybook verify` checks
the baseline's database like any other. What the engine does and these do not, in their
favour: claim an idempotency key per transfer (the suite's batches carry one) with its lookup
and request hash, and the per-command checks (currency, status, references).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg

from suite.cpu import CpuMeter
from suite.entry_rows import chained_entry
from suite.loadgen import LoadResult, latency_result
from tallybook.ledger.ids import new_id
from tallybook.storage.posting_repository import BatchWrite, batch_write

CURRENCY = "CNY"
AMOUNT_MINOR = 1  # 0.01 CNY
TRANSFER_COLUMNS = (
    "id, tenant_id, debit_account_id, credit_account_id, amount, currency, type, status, "
    "tags, metadata, created_at"
)
ENTRY_COLUMNS = (
    "tenant_id, transfer_id, account_id, currency, amount, balance_before, balance_after, "
    "sequence, created_at, hash"
)


@dataclass(slots=True)
class _Balance:
    """A locked balance row; `is_new` when the account has none yet (it is inserted)."""

    account_id: UUID
    posted: int
    version: int
    last_sequence: int
    last_entry_hash: str | None
    is_new: bool = False


@dataclass(frozen=True)
class _Batch:
    """A batch computed in memory: the rows to write and the balances to update."""

    transfers: list[tuple[Any, ...]]
    entries: list[tuple[Any, ...]]
    balances: list[_Balance]
    now: datetime


def _compute(
    tenant_id: UUID, pairs: Sequence[tuple[UUID, UUID]], locked: dict[UUID, _Balance]
) -> _Batch:
    """What the engine computes for a batch of posted transfers (funds were provisioned, so
    every transfer is accepted; a refused one would simply be left out)."""
    for account_id in {a for pair in pairs for a in pair} - locked.keys():
        locked[account_id] = _Balance(account_id, 0, 0, 0, None, is_new=True)
    now = datetime.now(UTC)
    transfers: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    for debit, credit in pairs:
        if locked[debit].posted < AMOUNT_MINOR:
            continue
        transfer_id = new_id()
        transfers.append((transfer_id, tenant_id, debit, credit, AMOUNT_MINOR, CURRENCY, now))
        for account_id, signed in ((debit, -AMOUNT_MINOR), (credit, AMOUNT_MINOR)):
            balance = locked[account_id]
            head = (balance.posted, balance.last_sequence, balance.last_entry_hash)
            entry = chained_entry(tenant_id, transfer_id, account_id, CURRENCY, signed, head, now)
            entries.append(entry.row)
            balance.posted, balance.last_sequence = entry.balance_after, entry.sequence
            balance.last_entry_hash = entry.hash
            balance.version += 1
    return _Batch(transfers, entries, list(locked.values()), now)


def _pairs(hot: UUID, customers: Sequence[UUID], size: int) -> list[tuple[UUID, UUID]]:
    return [(hot, customers[n % len(customers)]) for n in range(size)]


def _batch_write(tenant_id: UUID, batch: _Batch) -> BatchWrite:
    """The engine's own statement for the batch (`batch_write`): the rows of transfers, hold
    resolutions (none here), entries, new and changed balances. The suite's accounts hold no
    holds and no credit limits, so those are written as the zeros they are."""
    transfer_names = [name.strip() for name in TRANSFER_COLUMNS.split(",")]
    entry_names = [name.strip() for name in ENTRY_COLUMNS.split(",")]
    transfers = [
        dict(
            zip(transfer_names, (*row[:6], "order_payment", "posted", [], {}, row[6]), strict=True)
        )
        for row in batch.transfers
    ]
    entries = [dict(zip(entry_names, row, strict=True)) for row in batch.entries]
    balances: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    for balance in batch.balances:
        balances[0 if balance.is_new else 1].append(
            {
                "account_id": balance.account_id,
                "currency": CURRENCY,
                "tenant_id": tenant_id,
                "posted": balance.posted,
                "held": 0,
                "credit_limit": 0,
                "version": balance.version,
                "last_sequence": balance.last_sequence,
                "last_entry_hash": balance.last_entry_hash,
                "last_entry_at": batch.now,
                "updated_at": batch.now,
            }
        )
    write = batch_write(transfers, [], entries, *balances)
    assert write is not None  # a batch always has transfers
    return write


def postgresql_batch(url: str, tenant_id: UUID) -> Callable[[list[tuple[UUID, UUID]]], None]:
    """A function that applies one batch on its own psycopg connection."""
    connection = psycopg.connect(url)

    def apply(pairs: list[tuple[UUID, UUID]]) -> None:
        account_ids = sorted({a for pair in pairs for a in pair})
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM accounts WHERE id = ANY(%s) ORDER BY id FOR SHARE",
                (account_ids,),
            )
            cursor.execute(
                "SELECT account_id, posted, version, last_sequence, last_entry_hash "
                "FROM balances WHERE account_id = ANY(%s) AND currency = %s "
                "ORDER BY account_id, currency FOR UPDATE",
                (account_ids, CURRENCY),
            )
            locked = {row[0]: _Balance(*row) for row in cursor.fetchall()}
            batch = _compute(tenant_id, pairs, locked)
            write = _batch_write(tenant_id, batch)
            cursor.execute(write.sql, write.parameters)

    return apply


def _sqlite_time(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite (naive, microseconds)."""
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def sqlite_batch(path: str, tenant_id: UUID) -> Callable[[list[tuple[UUID, UUID]]], None]:
    """A function that applies one batch with `sqlite3`, WAL and synchronous=FULL as
    Tallybook opens SQLite."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=60000")

    def apply(pairs: list[tuple[UUID, UUID]]) -> None:
        account_ids = sorted({a.hex for pair in pairs for a in pair})
        marks = ", ".join("?" * len(account_ids))
        connection.execute("BEGIN IMMEDIATE")
        try:
            rows = connection.execute(
                "SELECT account_id, posted, version, last_sequence, last_entry_hash "
                f"FROM balances WHERE account_id IN ({marks}) AND currency = ? "
                "ORDER BY account_id, currency",
                [*account_ids, CURRENCY],
            ).fetchall()
            locked = {UUID(row[0]): _Balance(UUID(row[0]), *row[1:]) for row in rows}
            batch = _compute(tenant_id, pairs, locked)
            connection.executemany(
                f"INSERT INTO transfers ({TRANSFER_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, 'order_payment', 'posted', '[]', '{}', ?)",
                [
                    (t[0].hex, t[1].hex, t[2].hex, t[3].hex, t[4], t[5], _sqlite_time(t[6]))
                    for t in batch.transfers
                ],
            )
            connection.executemany(
                f"INSERT INTO entries ({ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (e[0].hex, e[1].hex, e[2].hex, *e[3:8], _sqlite_time(e[8]), e[9])
                    for e in batch.entries
                ],
            )
            stamp = _sqlite_time(batch.now)
            connection.executemany(
                "INSERT INTO balances (account_id, currency, tenant_id, posted, held, "
                "credit_limit, version, last_sequence, last_entry_hash, last_entry_at, "
                "updated_at) VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?)",
                [
                    (b.account_id.hex, CURRENCY, tenant_id.hex, b.posted, b.version,
                     b.last_sequence, b.last_entry_hash, stamp, stamp)
                    for b in batch.balances
                    if b.is_new
                ],
            )  # fmt: skip
            connection.executemany(
                "UPDATE balances SET posted = ?, version = ?, last_sequence = ?, "
                "last_entry_hash = ?, last_entry_at = ?, updated_at = ? "
                "WHERE account_id = ? AND currency = ?",
                [
                    (b.posted, b.version, b.last_sequence, b.last_entry_hash, stamp, stamp,
                     b.account_id.hex, CURRENCY)
                    for b in batch.balances
                    if not b.is_new
                ],
            )  # fmt: skip
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    return apply


def run_batches(
    make_applier: Callable[[], Callable[[list[tuple[UUID, UUID]]], None]],
    hot: UUID,
    customers: Sequence[UUID],
    *,
    batch_size: int,
    threads: int,
    duration_seconds: float,
) -> LoadResult:
    """`threads` loops, each with its own connection, applying batches until the time is up.
    Throughput counts transfers (`requests` are batches); latencies are per batch."""
    appliers = [make_applier() for _ in range(threads)]
    latencies_ms: list[float] = []
    deadline = time.perf_counter() + duration_seconds
    pairs = _pairs(hot, customers, batch_size)
    lock = threading.Lock()

    failures: list[BaseException] = []

    def loop(apply: Callable[[list[tuple[UUID, UUID]]], None]) -> None:
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                apply(pairs)
                with lock:
                    latencies_ms.append((time.perf_counter() - started) * 1000)
        except BaseException as failure:
            failures.append(failure)

    with CpuMeter() as meter:
        started = time.perf_counter()
        workers = [threading.Thread(target=loop, args=(apply,)) for apply in appliers]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed_seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    return replace(latency_result(latencies_ms, elapsed_seconds, errors=0), cpu=meter.used)
