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
the baseline's database like any other, and they are the rows of the workload each baseline
stands beside (`Batches`): W3's batch request pays the same 1,000 customers each time, so
the 1,000-transfer batches do too; W2's single transfers each pay a customer drawn from all
of them and carry their own idempotency key, so the batches standing beside W4 single draw
their customers the same way and write a key and a request hash a transfer. What the engine
does and these do not, in their favour: look keys up after a replay, and the per-command
checks (currency, status, references).
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from suite.cpu import CpuMeter
from suite.entry_rows import chained_entry
from suite.loadgen import LoadResult, latency_result
from tallybook.ledger.commands import CreateTransfer, TransferBatch, request_hash
from tallybook.ledger.ids import new_id
from tallybook.ledger.posting import idempotency_slots
from tallybook.model import TransferType
from tallybook.storage.posting_repository import BatchWrite, batch_write

CURRENCY = "CNY"
AMOUNT = Decimal("0.01")
AMOUNT_MINOR = 1  # AMOUNT in fen
TRANSFER_COLUMNS = (
    "id, tenant_id, debit_account_id, credit_account_id, amount, currency, type, status, "
    "tags, metadata, idempotency_key, request_hash, created_at"
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


@dataclass(frozen=True)
class RawRequest:
    """What one request of the workload asks for: its transfers (debit, credit), one or many,
    and its idempotency key (each transfer of a many-transfer request stores the key with its
    index, as the engine stores an atomic batch's: `posting.idempotency_slots`)."""

    pairs: list[tuple[UUID, UUID]]
    idempotency_key: str


# Each call: the requests of the next batch, applied in one transaction.
Batches = Callable[[], list[RawRequest]]


def same_customers(hot: UUID, customers: Sequence[UUID], size: int, key_prefix: str) -> Batches:
    """W3's shape: one request a batch, the hot account paying the first `size` customers,
    the same ones each time (as the suite's batch body does), under a fresh key."""
    pairs = [(hot, customers[n % len(customers)]) for n in range(size)]
    numbers = itertools.count()
    return lambda: [RawRequest(pairs, f"{key_prefix}-{next(numbers)}")]


def drawn_customers(hot: UUID, customers: Sequence[UUID], size: int, key_prefix: str) -> Batches:
    """W2's shape: `size` single-transfer requests a batch, each paying a customer drawn
    uniformly from all of them under its own key (as the suite's wrk script does)."""
    numbers = itertools.count()
    return lambda: [
        RawRequest([(hot, random.choice(customers))], f"{key_prefix}-{next(numbers)}")
        for _ in range(size)
    ]


def drawn_pairs(customers: Sequence[UUID], size: int, key_prefix: str) -> Batches:
    """W1's shape: `size` single-transfer requests a batch, each between two customers drawn
    uniformly from all of them under its own key (as the suite's wrk script does)."""
    numbers = itertools.count()

    def request() -> RawRequest:
        debit, credit = random.sample(customers, 2)
        return RawRequest([(debit, credit)], f"{key_prefix}-{next(numbers)}")

    return lambda: [request() for _ in range(size)]


def _command(tenant_id: UUID, request: RawRequest) -> CreateTransfer | TransferBatch:
    """The engine's command for the request, as the API builds it: one transfer under the
    request's key, or an atomic batch of them under it."""
    transfers = [
        CreateTransfer(tenant_id, debit, credit, AMOUNT, CURRENCY, TransferType.ORDER_PAYMENT)
        for debit, credit in request.pairs
    ]
    if len(transfers) == 1:
        return replace(transfers[0], idempotency_key=request.idempotency_key)
    return TransferBatch(tenant_id, tuple(transfers), request.idempotency_key)


def _compute(
    tenant_id: UUID, requests: Sequence[RawRequest], locked: dict[UUID, _Balance]
) -> _Batch:
    """What the engine computes for a batch of posted transfers (funds were provisioned, so
    every transfer is accepted; a refused one would simply be left out)."""
    for account_id in _accounts(requests) - locked.keys():
        locked[account_id] = _Balance(account_id, 0, 0, 0, None, is_new=True)
    now = datetime.now(UTC)
    transfers: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    for request in requests:
        # The key each transfer stores and the request's hash, worked out by the engine's own
        # functions, so the rows are the engine's and cost what they cost it.
        command = _command(tenant_id, request)
        digest = request_hash(command)
        keys = [key for _tenant, key in idempotency_slots(command)]
        for (debit, credit), key in zip(request.pairs, keys, strict=True):
            if locked[debit].posted < AMOUNT_MINOR:
                continue
            transfer_id = new_id()
            transfers.append((
                transfer_id, tenant_id, debit, credit, AMOUNT_MINOR, CURRENCY, key, digest, now,
            ))  # fmt: skip
            for account_id, signed in ((debit, -AMOUNT_MINOR), (credit, AMOUNT_MINOR)):
                balance = locked[account_id]
                head = (balance.posted, balance.last_sequence, balance.last_entry_hash)
                entry = chained_entry(
                    tenant_id, transfer_id, account_id, CURRENCY, signed, head, now
                )
                entries.append(entry.row)
                balance.posted, balance.last_sequence = entry.balance_after, entry.sequence
                balance.last_entry_hash = entry.hash
                balance.version += 1
    return _Batch(transfers, entries, list(locked.values()), now)


def _accounts(requests: Sequence[RawRequest]) -> set[UUID]:
    return {account for request in requests for pair in request.pairs for account in pair}


def _batch_write(tenant_id: UUID, batch: _Batch) -> BatchWrite:
    """The engine's own statement for the batch (`batch_write`): the rows of transfers, hold
    resolutions (none here), entries, new and changed balances. The suite's accounts hold no
    holds and no credit limits, so those are written as the zeros they are."""
    transfer_names = [name.strip() for name in TRANSFER_COLUMNS.split(",")]
    entry_names = [name.strip() for name in ENTRY_COLUMNS.split(",")]
    transfers = [
        dict(
            zip(
                transfer_names, (*row[:6], "order_payment", "posted", [], {}, *row[6:]), strict=True
            )
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


# Applies one batch's requests in one transaction.
Applier = Callable[[list[RawRequest]], None]


# The two lock statements, each either one `= ANY(array)` statement or one index probe an id
# (the engine's form, `posting_repository._locked_one_by_one`), in the array's sorted order.
LOCKS_BY_ANY = (
    "SELECT id FROM accounts WHERE id = ANY(%s) ORDER BY id FOR SHARE",
    "SELECT account_id, posted, version, last_sequence, last_entry_hash "
    "FROM balances WHERE account_id = ANY(%s) AND currency = %s "
    "ORDER BY account_id, currency FOR UPDATE",
)
LOCKS_BY_PROBES = (
    "SELECT locked.id FROM unnest(%s::uuid[]) AS wanted(id) JOIN LATERAL "
    "(SELECT id FROM accounts WHERE accounts.id = wanted.id FOR SHARE) AS locked ON true",
    "SELECT locked.* FROM unnest(%s::uuid[]) AS wanted(id) JOIN LATERAL "
    "(SELECT account_id, posted, version, last_sequence, last_entry_hash FROM balances "
    "WHERE balances.account_id = wanted.id AND currency = %s FOR UPDATE) AS locked ON true",
)


def postgresql_batch(url: str, tenant_id: UUID, *, probes: bool = False) -> Applier:
    """A function that applies one batch on its own psycopg connection.

    `probes`: lock as the engine does, an index probe an id, instead of with `= ANY`. Why
    both: on a database without planner statistics (autovacuum off, as on the suite's
    server) PostgreSQL scans the table for `= ANY` of any length; for a 1,000-transfer batch
    that was 1.6 ms faster than the probes (session 17), for 128 accounts of 10,000 about a
    millisecond slower a statement."""
    connection = psycopg.connect(url)
    lock_accounts, lock_balances = LOCKS_BY_PROBES if probes else LOCKS_BY_ANY

    def apply(requests: list[RawRequest]) -> None:
        account_ids = sorted(_accounts(requests))
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute(lock_accounts, (account_ids,))
            cursor.execute(lock_balances, (account_ids, CURRENCY))
            locked = {row[0]: _Balance(*row) for row in cursor.fetchall()}
            batch = _compute(tenant_id, requests, locked)
            write = _batch_write(tenant_id, batch)
            cursor.execute(write.sql, write.parameters)

    return apply


def _sqlite_time(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite (naive, microseconds)."""
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def sqlite_batch(path: str, tenant_id: UUID) -> Applier:
    """A function that applies one batch with `sqlite3`, WAL and synchronous=FULL as
    Tallybook opens SQLite."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=60000")

    def apply(requests: list[RawRequest]) -> None:
        account_ids = sorted(account.hex for account in _accounts(requests))
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
            batch = _compute(tenant_id, requests, locked)
            connection.executemany(
                f"INSERT INTO transfers ({TRANSFER_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, 'order_payment', 'posted', '[]', '{}', ?, ?, ?)",
                [
                    (t[0].hex, t[1].hex, t[2].hex, t[3].hex, *t[4:8], _sqlite_time(t[8]))
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
    make_applier: Callable[[], Applier],
    batches: Batches,
    *,
    threads: int,
    duration_seconds: float,
) -> LoadResult:
    """`threads` loops, each with its own connection, applying `batches` until the time is up.
    Throughput counts batches (`requests`); latencies are per batch, from the batch drawn (a
    few microseconds) to its commit.

    The loops' own CPU while applying (their threads' time, drawing the batches left out:
    that is the load generator's part in a served workload) is the result's `cpu.server`:
    what the driver and the Python around it cost, standing where a server's CPU stands."""
    appliers = [make_applier() for _ in range(threads)]
    latencies_ms: list[float] = []
    applying_cpu_seconds: list[float] = []  # each batch's, its loop's thread in `apply`
    deadline = time.perf_counter() + duration_seconds
    lock = threading.Lock()

    failures: list[BaseException] = []

    def loop(apply: Applier) -> None:
        try:
            while time.perf_counter() < deadline:
                requests = batches()
                started, cpu_started = time.perf_counter(), time.thread_time()
                apply(requests)
                cpu_seconds = time.thread_time() - cpu_started
                with lock:
                    latencies_ms.append((time.perf_counter() - started) * 1000)
                    applying_cpu_seconds.append(cpu_seconds)
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
    assert meter.used is not None  # the meter has stopped
    cpu = replace(meter.used, server=sum(applying_cpu_seconds))
    return replace(latency_result(latencies_ms, elapsed_seconds, errors=0), cpu=cpu)
