"""The posting engine: every money-moving command goes through it, many per transaction.

Group commit. Callers `submit` commands from any thread (or `asyncio.wrap_future` the returned
future). One engine thread takes whatever has queued up — at most `max_batch_commands` — and
applies the whole batch in one database transaction. A command that finds the engine idle
goes at once, alone; only when commands queued up while the previous batch was committing
(the engine is busy) does it also wait up to `max_batch_wait_seconds` for more to join (see
`take_batch`):

    (idempotency lookup, see below) -> lock the wallet-flow records the batch's steps name
    (see `steps`) -> read the holds and transfers referenced -> lock accounts (shared) and
    balances (exclusive) in sorted order -> apply each command or step in memory (each
    succeeds or fails on its own, see `posting`) -> insert transfers and entries in bulk ->
    update each balance once -> save the changed records -> commit -> answer every caller.

While one batch commits, the next gathers in the queue. A hot account's row lock is therefore
held once per batch instead of once per transfer, which is what lets a ledger on a
general-purpose database go past that database's per-transaction limit.

A served SQLite database runs the batches on the server's event loop instead
(`on_event_loop`): the same `_process`, its statements on the loop's thread and its waits (the
commit, the write lock, a backoff) on a helper thread; see `lanes` for why. A batch is a
coroutine for that reason; on the engine thread it never suspends.

Idempotency keys are claimed by the write itself: the unique (tenant, key) constraint on
transfers refuses a key claimed before. A batch's first attempt therefore does not look its
keys up (a read the size of the batch, and usually empty): a retried request it holds either
fails the write on that constraint or writes no transfer this time (refused: its
re-evaluation found, say, the funds spent by its first run; or done without one: a balance
set to what it already is), and the keys the batch will not write are looked up before it
writes. Either way the batch is rolled back and applied again with every key looked up,
which answers the retry with its first result (see `posting._replay`). For a while after
one, every batch looks its keys up first (`LOOK_UP_CLAIMS_AFTER_REPLAY_SECONDS`), so a
burst of retried requests costs one wasted attempt, not one a batch. A batch whose first
attempt is its last looks up too.

Failures. A lost race (deadlock, a unique key claimed by another process, SQLite busy) rolls
the batch back and retries it, re-reading everything; after `max_attempts` a batch is split
and each command tried alone, so one poisoned command cannot fail the others. Nothing is
answered before its commit: an acknowledged command is durable.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from tallybook.ledger import errors, posting, steps
from tallybook.ledger.clock import Clock
from tallybook.ledger.commands import (
    Command,
    ExpireDueHolds,
    PostingResult,
    ReverseTransfer,
    TransferBatch,
)
from tallybook.ledger.decimals_in_use import CurrencyKey, DecimalsInUse
from tallybook.ledger.lanes import Lane, LoopLane, ThreadLane, finish_now, frequent_switches
from tallybook.ledger.steps import Step, StepResult
from tallybook.model import Transfer
from tallybook.storage import accounts_repository, posting_repository
from tallybook.storage.database import Database
from tallybook.storage.locked_rows import LockedBalance

logger = logging.getLogger(__name__)

RETRY_BACKOFF_SECONDS = 0.002
LOOK_UP_CLAIMS_AFTER_REPLAY_SECONDS = 1.0
R = TypeVar("R")
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass
class EngineStatistics:
    """Counters the engine keeps about itself, for metrics and tests."""

    batches: int = 0
    commands: int = 0
    largest_batch: int = 0
    retries: int = 0
    transaction_seconds_total: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)

    def batch_committed(
        self, size: int, lock_seconds: float, commit_seconds: float, transaction_seconds: float
    ) -> None:
        """An `EngineObserver`, the engine's first."""
        self.batches += 1
        self.commands += size
        self.largest_batch = max(self.largest_batch, size)
        self.transaction_seconds_total += transaction_seconds
        if len(self.batch_sizes) < 10_000:
            self.batch_sizes.append(size)

    def batch_retried(self, reason: str) -> None:
        self.retries += 1


class EngineObserver(Protocol):
    """Told about every batch attempt, from the engine thread (metrics implement it)."""

    def batch_committed(
        self, size: int, lock_seconds: float, commit_seconds: float, transaction_seconds: float
    ) -> None:
        """A batch of `size` commands committed. `lock_seconds`: getting its locks (on SQLite
        `BEGIN IMMEDIATE`, on PostgreSQL the FOR SHARE / FOR UPDATE statements, waits
        included); `commit_seconds`: the COMMIT (the fsync); `transaction_seconds`: all of it."""

    def batch_retried(self, reason: str) -> None:
        """An attempt failed on a lost race, or met a retried request without having read
        its keys, and is tried again; `reason` is "operational" (deadlock, serialization
        failure, SQLite busy), "integrity" (a unique key claimed first by another process, or
        by the first run of a retried request) or "disconnected"."""


Work = Command | Step[Any]
Outcome = PostingResult | StepResult[Any] | errors.LedgerError


@dataclass(slots=True)
class _Work:
    command: Work
    future: Future[Any]


_STOP = None


class _UnseenReplay(Exception):
    """An attempt that did not look its keys up will not write one of them (its command was
    refused, or done without a transfer), and that key was claimed before: the command may be
    a retried request, whose answer is its first result. The attempt is rolled back (nothing
    was written) and the batch applied again with its keys looked up."""


class WorkSource(Protocol[T_co]):
    """What `take_batch` needs of a queue (the engine's `queue.SimpleQueue`): None is the
    stop signal."""

    def get(self, block: bool = True, timeout: float | None = None) -> T_co | None: ...

    def get_nowait(self) -> T_co | None: ...


def take_batch(
    source: WorkSource[T], max_commands: int, max_wait_seconds: float
) -> tuple[list[T], bool]:
    """The next batch, and whether the stop signal (None) came with it.

    Idle engine (nothing queued): block for one command, then take only what is already
    queued, so a lone request never waits for a batch to fill. Busy engine (commands queued up
    while the last batch committed): take what is queued, then keep gathering for up to
    `max_wait_seconds` or until `max_commands`, so a burst still arriving joins this batch
    instead of paying for its own commit.
    """
    try:
        first = source.get_nowait()
        busy = True
    except queue.Empty:
        first = source.get()
        busy = False
    if first is None:
        return [], True
    batch = [first]
    while len(batch) < max_commands:
        try:
            work = source.get_nowait()
        except queue.Empty:
            break
        if work is None:
            return batch, True
        batch.append(work)
    if not busy or max_wait_seconds <= 0:
        return batch, False
    deadline = time.monotonic() + max_wait_seconds
    while len(batch) < max_commands:
        remaining_seconds = deadline - time.monotonic()
        if remaining_seconds <= 0:
            break
        try:
            work = source.get(timeout=remaining_seconds)
        except queue.Empty:
            break
        if work is None:
            return batch, True
        batch.append(work)
    return batch, False


class PostingEngine:
    """Applies commands in batches, one transaction per batch, from one background thread."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        max_batch_commands: int,
        max_batch_wait_seconds: float,
        max_attempts: int,
        decimals_in_use: DecimalsInUse | None = None,
    ) -> None:
        """The limits come from `Settings` (their defaults are there, and only there).
        `decimals_in_use`: shared with the `Ledger`, which presents what the engine wrote."""
        self._database = database
        self._clock = clock
        self._max_batch_commands = max_batch_commands
        self._max_batch_wait_seconds = max_batch_wait_seconds
        self._max_attempts = max_attempts
        self._decimals_in_use = decimals_in_use or DecimalsInUse()
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._running = False
        self._state_lock = threading.Lock()
        self.statistics = EngineStatistics()
        self._observers: list[EngineObserver] = [self.statistics]
        self._thread_lane = ThreadLane()  # the engine thread's, with its connection
        self._loop_batches: _LoopBatches | None = None  # see `on_event_loop`
        self._look_up_claims_until = 0.0  # time.monotonic(); see the module's docstring

    @property
    def running(self) -> bool:
        return self._running

    @property
    def queued(self) -> int:
        """Commands waiting for a batch (approximate, for metrics)."""
        batches = self._loop_batches
        return self._queue.qsize() + (0 if batches is None else batches.waiting)

    def observe(self, observer: EngineObserver) -> None:
        """Report every batch to `observer` from now on."""
        self._observers.append(observer)

    def start(self) -> None:
        with self._state_lock:
            if self._running:
                return
            self._running = True
            self._thread = threading.Thread(
                target=self._run, name="tallybook-posting-engine", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Finish the commands already queued, then stop the thread."""
        with self._state_lock:
            if not self._running:
                return
            self._running = False
            self._queue.put(_STOP)
            thread = self._thread
        if thread is not None:
            thread.join()

    def submit(self, command: Command) -> Future[PostingResult]:
        """Queue `command`; the future resolves after its batch commits (or with its error)."""
        future: Future[PostingResult] = Future()
        self._queue_work(command, future)
        return future

    def submit_step(self, step: Step[R]) -> Future[StepResult[R]]:
        """Queue a wallet-flow step (see `steps`); it is applied like a command."""
        future: Future[StepResult[R]] = Future()
        self._queue_work(step, future)
        return future

    def _queue_work(self, work: Work, future: Future[Any]) -> None:
        with self._state_lock:  # so nothing is queued behind the stop signal and forgotten
            if self._running:
                if self._loop_batches is None:
                    self._queue.put(_Work(work, future))
                else:
                    self._loop_batches.put(_Work(work, future))
                return
        future.set_exception(errors.EngineUnavailable("the posting engine is not running"))

    def execute(self, command: Command) -> PostingResult:
        """Submit and wait. Raises the command's LedgerError when it is refused."""
        return self.result_of(self.submit(command))

    def result_of(self, future: Future[T]) -> T:
        """`future`'s outcome, waited for. Refused on the thread of the event loop that runs
        the batches (see `on_event_loop`), where the wait would never end: async code awaits
        `api.engine_waits.engine_waiter(future)` instead."""
        batches = self._loop_batches
        if batches is not None and batches.on_its_thread() and not future.done():
            raise RuntimeError(
                "waiting for the posting engine on the event loop that applies its batches"
            )
        return future.result()

    @asynccontextmanager
    async def on_event_loop(self) -> AsyncIterator[None]:
        """While inside, on a SQLite database, the batches run on the running event loop (see
        `lanes`): the statements on its thread, the commit on a helper thread. Commands
        submitted from any thread queue there; on leaving, everything queued is applied, and
        later commands go to the engine thread again. On PostgreSQL (a statement is a round
        trip, which the event loop must not wait for) or when another loop already has the
        batches, nothing changes.

        On the loop a batch takes whatever queued while the last one committed, up to
        `max_batch_commands`, without a gather window: the commit is the window. The
        interpreter switches threads more often meanwhile (`LOOP_SWITCH_INTERVAL_SECONDS`).
        """
        loop = asyncio.get_running_loop()
        with self._state_lock:
            joins = self._database.is_sqlite and self._loop_batches is None
            if joins:
                batches = _LoopBatches(
                    LoopLane(loop, self._database), self._process, self._max_batch_commands
                )
                self._loop_batches = batches
        if not joins:
            yield
            return
        with frequent_switches():
            try:
                yield
            finally:
                with self._state_lock:
                    self._loop_batches = None
                await batches.leave()

    # -- the engine thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._take_and_process_batches()
        finally:
            self._close_connection()

    def _take_and_process_batches(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = take_batch(
                self._queue, self._max_batch_commands, self._max_batch_wait_seconds
            )
            batch = _still_wanted(batch)
            if batch:
                self._process_here(batch)

    def _process_here(self, batch: list[_Work]) -> None:
        """`_process` on this thread (the engine's), on its own connection."""
        finish_now(self._process(batch, self._thread_lane))

    def _close_connection(self) -> None:
        self._thread_lane.close_connection()

    async def _process(self, batch: list[_Work], lane: Lane) -> None:
        """Apply `batch` in one transaction and answer every caller: retried after a lost
        race, split into single commands when it keeps failing. Never raises."""
        last_error: Exception | None = None
        met_replay = False  # the last attempt failed on a key it had not looked up
        look_up_claims = self._max_attempts == 1 or time.monotonic() < self._look_up_claims_until
        for attempt in range(self._max_attempts):
            if attempt:
                for observer in self._observers:
                    observer.batch_retried(_retry_reason(last_error))
                if not met_replay:  # a lost race: let the other side finish first
                    backoff_seconds = RETRY_BACKOFF_SECONDS * attempt * (1 + random.random())
                    await lane.waiting(partial(time.sleep, backoff_seconds))
                look_up_claims = True
            try:
                outcomes, timing = await self._attempt(batch, lane, look_up_claims)
            except (OperationalError, IntegrityError, _UnseenReplay) as exc:
                met_replay = not look_up_claims and not isinstance(exc, OperationalError)
                if met_replay:
                    self._look_up_claims_until = (
                        time.monotonic() + LOOK_UP_CLAIMS_AFTER_REPLAY_SECONDS
                    )
                last_error = exc
                continue
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    return await self._isolate(batch, exc, lane)
                last_error = exc
                continue
            except Exception as exc:  # a bug: keep it from failing the other commands
                return await self._isolate(batch, exc, lane)
            for observer in self._observers:
                observer.batch_committed(len(batch), *timing)
            for work, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, errors.LedgerError):
                    work.future.set_exception(outcome)
                else:
                    work.future.set_result(outcome)
            return None
        assert last_error is not None
        logger.warning(
            "batch of %d failed %d times: %s", len(batch), self._max_attempts, last_error
        )
        if len(batch) > 1:
            return await self._isolate(batch, last_error, lane)
        batch[0].future.set_exception(
            errors.EngineUnavailable(f"the database refused the command: {last_error}")
        )
        return None

    async def _attempt(
        self, batch: list[_Work], lane: Lane, look_up_claims: bool
    ) -> tuple[list[Outcome], tuple[float, float, float]]:
        """One try at `batch`: its outcomes, and its lock, commit and transaction seconds (see
        `EngineObserver.batch_committed`).

        The write transaction runs on the lane's connection, which stays open between
        batches; after a failed attempt the next one starts on a fresh connection. Why:
        checking a connection out of the pool for every batch cost a round trip (the
        pre-ping) before anything else, and on a busy server each round trip also waits for
        the GIL. A connection that died while idle fails the batch's first statement, which
        is retried like any lost race (on a new connection).
        """
        if lane.connection is None:
            lane.connection = self._database.write_connection()
        connection = lane.connection
        started = time.perf_counter()
        try:
            transaction = await lane.begin(connection)
            lock_seconds = time.perf_counter() - started  # SQLite: BEGIN IMMEDIATE
            try:
                outcomes, batch_lock_seconds = await lane.statements(
                    partial(
                        _run_batch,
                        connection,
                        [w.command for w in batch],
                        self._clock,
                        look_up_claims=look_up_claims,
                        decimals_in_use=self._decimals_in_use,
                    ),
                    sum(_transfers_in(w.command) for w in batch),
                )
                applied = time.perf_counter()
                await lane.waiting(transaction.commit)
            finally:
                if transaction.is_active:  # the statements failed: nothing was committed
                    transaction.rollback()
        except (IntegrityError, _UnseenReplay):
            raise  # rolled back, and the connection is sound: a key or row claimed before
        except BaseException:
            lane.close_connection()
            raise
        committed = time.perf_counter()
        return outcomes, (
            lock_seconds + batch_lock_seconds,
            committed - applied,
            committed - started,
        )

    async def _isolate(self, batch: list[_Work], error: Exception, lane: Lane) -> None:
        """Try each command alone, so only the one that keeps failing sees the error."""
        if len(batch) == 1:
            logger.error("command failed: %r", error, exc_info=error)
            batch[0].future.set_exception(error)
            return
        for work in batch:
            await self._process([work], lane)


class _LoopBatches:
    """The engine's batches on an event loop (`PostingEngine.on_event_loop`): work queues
    here, on the loop's thread, and one task applies it a batch at a time."""

    def __init__(
        self,
        lane: LoopLane,
        process: Callable[[list[_Work], Lane], Coroutine[Any, Any, None]],
        max_batch_commands: int,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread_id = threading.get_ident()
        self._lane = lane
        self._process = process
        self._max_batch_commands = max_batch_commands
        self._waiting: deque[_Work] = deque()
        self._arrived = asyncio.Event()  # set when work is added, or when leaving
        self._leaving = False
        self._task = self._loop.create_task(self._apply_batches(), name="tallybook-posting-batches")

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def on_its_thread(self) -> bool:
        return threading.get_ident() == self._thread_id

    def put(self, work: _Work) -> None:
        """From any thread (the engine calls it under its state lock)."""
        if self.on_its_thread():
            self._add(work)
        else:
            self._loop.call_soon_threadsafe(self._add, work)

    def _add(self, work: _Work) -> None:
        self._waiting.append(work)
        self._arrived.set()

    async def leave(self) -> None:
        """Apply everything queued (a `put` made before this call included), then stop."""
        self._leaving = True
        self._arrived.set()
        await self._task
        self._lane.close()

    async def _apply_batches(self) -> None:
        while True:
            while not self._waiting:
                if self._leaving:
                    return
                self._arrived.clear()
                await self._arrived.wait()
            batch: list[_Work] = []
            while self._waiting and len(batch) < self._max_batch_commands:
                batch.append(self._waiting.popleft())
            batch = _still_wanted(batch)
            if batch:
                await self._process(batch, self._lane)
            # One turn of the loop before the next batch: the answers of this one (their
            # waiters are woken by a callback this batch scheduled) go out first.
            await asyncio.sleep(0)


def _still_wanted(batch: list[_Work]) -> list[_Work]:
    """`batch` less the work whose caller gave up before it began (its future cancelled: an
    awaiting request went away), which is never applied. The rest can no longer be
    cancelled, so answering them cannot fail (a cancelled future refuses a result, which
    raised in the engine and ended its thread)."""
    return [work for work in batch if work.future.set_running_or_notify_cancel()]


def _transfers_in(work: Work) -> int:
    """How many transfers `work` may write at most, for the lane's choice of thread: an
    atomic batch's members, the holds an expiry may release, else one."""
    if isinstance(work, TransferBatch):
        return len(work.transfers)
    if isinstance(work, ExpireDueHolds):
        return work.limit
    return 1


def _retry_reason(error: Exception | None) -> str:
    if isinstance(error, IntegrityError | _UnseenReplay):
        return "integrity"
    if isinstance(error, OperationalError):
        return "operational"
    return "disconnected"


def _not_before_chain_heads(now: datetime, locked: Iterable[LockedBalance]) -> datetime:
    """The batch's time, moved up to the latest chain head it appends to.

    Why: a batch may take its time before another process's batch that then wins the balance
    lock first (or a clock may step back). Stamping no entry earlier than its chain's last one
    keeps every chain's times rising with its sequence, so "the last entry at or before T" —
    a balance as of T, a statement's opening — agrees with summing the entries up to T.
    """
    heads = [balance.last_entry_at for balance in locked if balance.last_entry_at is not None]
    return max([now, *heads])


def _run_batch(
    connection: Connection,
    batch: list[Work],
    clock: Clock,
    *,
    decimals_in_use: DecimalsInUse,
    look_up_claims: bool = True,
) -> tuple[list[Outcome], float]:
    """One transaction: read, lock, apply every command in memory, write. Caller commits.
    Returns each command's outcome and the seconds spent in the locking statements.

    Without `look_up_claims` the commands' idempotency keys are not read first (see the
    module's docstring): raises IntegrityError at the write, or `_UnseenReplay` before it,
    when a command may be a retried request."""
    now = clock.now()
    commands = [work for work in batch if not isinstance(work, Step)]
    step_list = [work for work in batch if isinstance(work, Step)]
    slots = {slot for command in commands for slot in posting.idempotency_slots(command)}
    claimed = (
        posting_repository.find_by_idempotency_keys(connection, slots) if look_up_claims else {}
    )
    digests = [None if isinstance(work, Step) else posting.request_digest(work) for work in batch]
    # Wallet-flow records come first in the lock order: records, accounts, balances.
    step_claims = steps.find_claims(connection, step_list)
    locking = time.perf_counter()
    book = steps.lock_records(connection, step_list, step_claims, now)
    lock_seconds = time.perf_counter() - locking
    referenced_ids = {
        transfer_id
        for command in commands
        for transfer_id in posting.referenced_transfer_ids(command)
    }
    referenced_ids.update(hold for step in step_list for hold in step.holds(book))
    referenced = posting_repository.load_transfers(connection, referenced_ids)
    due_holds: dict[UUID | None, list[Transfer]] = {}
    for command in commands:
        if isinstance(command, ExpireDueHolds) and command.tenant_id not in due_holds:
            holds = posting_repository.find_due_holds(
                connection, command.tenant_id, now, max(1, min(command.limit, 10_000))
            )
            due_holds[command.tenant_id] = holds
            referenced.update((hold.id, hold) for hold in holds)

    touched = {
        item for command in commands for item in posting.footprint(command, referenced, due_holds)
    }
    touched.update(item for step in step_list for item in step.footprint(book))
    locking = time.perf_counter()
    accounts = posting_repository.lock_accounts(connection, {account for _, account, _ in touched})
    decimals, decimals_read = _currency_decimals(
        connection, touched, bool(step_list), decimals_in_use
    )
    # Lock only balances that can exist: the account is the command's tenant's and the
    # currency is configured. Anything else is refused by `posting` without touching a row.
    lockable = {
        (account_id, currency)
        for tenant_id, account_id, currency in touched
        if account_id in accounts
        and accounts[account_id].tenant_id == tenant_id
        and (tenant_id, currency) in decimals
    }
    balances = posting_repository.lock_balances(
        connection,
        lockable,
        {account_id: account.tenant_id for account_id, account in accounts.items()},
    )
    lock_seconds += time.perf_counter() - locking
    if decimals_read:  # those of the currencies the locked balances show in use
        in_use = {(b.tenant_id, b.currency) for b in balances.values() if not b.is_new}
        decimals_in_use.remember({key: decimals[key] for key in in_use})
    now = _not_before_chain_heads(now, balances.values())
    resolutions = posting_repository.find_resolutions(connection, referenced.keys())
    reversal_targets = {c.transfer_id for c in commands if isinstance(c, ReverseTransfer)}
    context = posting.BatchContext(
        now=now,
        accounts=accounts,
        decimals=decimals,
        balances=balances,
        referenced=referenced,
        resolutions=resolutions,
        reversed=posting_repository.find_reversed(connection, reversal_targets),
        claimed=claimed,
        due_holds=due_holds,
    )
    outcomes: list[Outcome] = []
    for work, digest in zip(batch, digests, strict=True):
        try:
            if isinstance(work, Step):
                outcomes.append(steps.apply_step(context, book, work))
            else:
                outcomes.append(posting.apply(context, work, digest))
        except errors.LedgerError as refused:
            outcomes.append(refused)
    if not look_up_claims:
        _refuse_unseen_replays(connection, slots, context.new_transfers)
    posting_repository.append(
        connection,
        context.new_transfers,
        context.resolved_holds,
        context.new_entries,
        [context.balances[key] for key in sorted(context.changed_balances)],
        now,
    )
    steps.save_records(connection, book)
    return outcomes, lock_seconds


def _refuse_unseen_replays(
    connection: Connection,
    slots: set[posting.IdempotencySlot],
    new_transfers: Iterable[Transfer],
) -> None:
    """Raise `_UnseenReplay` when one of the batch's keys (`slots`) that it will not write was
    claimed before: the command that holds it may be a retried request, refused this time or
    done without a transfer (a balance set to what it already is), whose answer is its first
    result. A key the batch writes needs no read: the write meets the unique constraint."""
    written = {(transfer.tenant_id, transfer.idempotency_key) for transfer in new_transfers}
    if posting_repository.find_by_idempotency_keys(connection, slots - written):
        raise _UnseenReplay


def _currency_decimals(
    connection: Connection,
    touched: Iterable[tuple[UUID, UUID, str]],
    has_steps: bool,
    decimals_in_use: DecimalsInUse,
) -> tuple[dict[CurrencyKey, int], bool]:
    """The decimals of the currencies a batch's commands move (`touched`: their footprints),
    and whether they were read: not when all are in use and remembered (see
    `DecimalsInUse`); else those of every currency of the batch's tenants are. Why not for
    steps: a step may word an amount in a currency beyond its footprint, which the remembered
    ones may lack."""
    if not has_steps:
        known = decimals_in_use.known({(tenant, currency) for tenant, _, currency in touched})
        if known is not None:
            return known, False
    currencies = accounts_repository.list_currencies(
        connection, {tenant for tenant, _, _ in touched}
    )
    return {(c.tenant_id, c.code): c.decimals for c in currencies}, True
