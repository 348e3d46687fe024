"""A served SQLite ledger applies the engine's batches on the event loop (`ledger.lanes`): the
statements on the loop's thread, the commit and any wait for the write lock on a helper
thread, so the loop keeps serving while the disk syncs or another writer holds the lock.

Which thread ran a batch's statements is told by the clock, which the engine asks for the
time inside each batch.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from tallybook.api.engine_waits import engine_waiter
from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.commands import TransferBatch
from tallybook.ledger.lanes import (
    LOOP_STATEMENTS_MAX_TRANSFERS,
    LOOP_SWITCH_INTERVAL_SECONDS,
    frequent_switches,
)
from tallybook.model import TransferType
from tallybook.storage.database import SQLITE_BUSY_TIMEOUT_MILLISECONDS, Database
from tests.support import Book, ManualClock, available, open_book, pay, top_up


class ThreadNamingClock(ManualClock):
    """Remembers the thread of every call (the engine asks once a batch, on the thread that
    runs the batch's statements)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[str] = []

    def now(self) -> datetime:
        self.threads.append(threading.current_thread().name)
        return super().now()


@pytest.fixture
def clock() -> ThreadNamingClock:
    return ThreadNamingClock()


@pytest.fixture
def ledger(sqlite_database: Database, clock: ThreadNamingClock) -> Iterator[Ledger]:
    """A started ledger on SQLite, the one database whose batches go to the loop (the test
    for both databases opens its own)."""
    with Ledger(sqlite_database, clock=clock) as started:
        yield started


@pytest.fixture
def book(ledger: Ledger) -> Book:
    return open_book(ledger)


def top_up_command(book: Book, amount: str) -> CreateTransfer:
    return CreateTransfer(
        book.tenant.id, book.world, book.alice, Decimal(amount), book.currency,
        TransferType.TOPUP,
    )  # fmt: skip


def test_on_sqlite_the_batches_run_on_the_loop_and_callers_of_any_thread_are_answered(
    ledger: Ledger, book: Book, clock: ThreadNamingClock
) -> None:
    top_up(ledger, book, book.alice, "100.00")

    async def serve() -> tuple[str, int]:
        async with ledger.engine.on_event_loop():
            clock.threads.clear()
            from_loop = [engine_waiter(ledger.submit(pay(book, "1.00"))) for _ in range(20)]
            # A caller on another thread (a sync endpoint's worker) waits as it always did.
            from_thread = await asyncio.to_thread(ledger.execute, pay(book, "5.00"))
            await asyncio.gather(*from_loop)
            return threading.current_thread().name, from_thread.transfer.amount

    loop_thread, amount = asyncio.run(serve())

    assert amount == 500
    assert set(clock.threads) == {loop_thread}
    assert ledger.engine.statistics.batches < 1 + 21  # the twenty shared batches
    assert available(ledger, book, book.alice) == 10000 - 2000 - 500


def test_after_leaving_the_loop_everything_queued_is_applied_and_the_engine_thread_goes_on(
    ledger: Ledger, book: Book, clock: ThreadNamingClock
) -> None:
    top_up(ledger, book, book.alice, "100.00")

    async def serve_then_leave() -> list[int]:
        async with ledger.engine.on_event_loop():
            queued = [ledger.submit(pay(book, "1.00")) for _ in range(5)]
        # Left: the five were applied before the loop let the engine go.
        return [future.result(timeout=0).transfer.amount for future in queued]

    assert asyncio.run(serve_then_leave()) == [100] * 5
    clock.threads.clear()
    assert ledger.execute(pay(book, "2.00")).transfer.amount == 200
    assert clock.threads == ["tallybook-posting-engine"]
    assert available(ledger, book, book.alice) == 10000 - 500 - 200


def test_while_another_connection_holds_the_write_lock_the_loop_keeps_serving(
    ledger: Ledger, book: Book
) -> None:
    """Begun on the loop, the batch's BEGIN IMMEDIATE would sleep in SQLite's busy handler
    (up to the busy timeout) with the loop stopped; it waits on the helper thread instead."""

    async def serve() -> tuple[float, int]:
        async with ledger.engine.on_event_loop():
            holder = ledger.database.write_connection()
            lock = holder.begin()  # BEGIN IMMEDIATE: the write lock, as another writer
            try:
                waiting = engine_waiter(ledger.submit(top_up_command(book, "3.00")))
                turning = time.monotonic()
                for _ in range(10):  # the loop turns while the batch waits for the lock
                    await asyncio.sleep(0.01)
                turned_seconds = time.monotonic() - turning
                assert not waiting.done()
            finally:
                lock.rollback()
                holder.close()
            result = await waiting
            return turned_seconds, result.transfer.amount

    turned_seconds, amount = asyncio.run(serve())

    assert turned_seconds < SQLITE_BUSY_TIMEOUT_MILLISECONDS / 1000 / 2
    assert amount == 300
    assert available(ledger, book, book.alice) == 300


def test_a_batch_of_many_transfers_runs_its_statements_off_the_loop(
    ledger: Ledger, book: Book, clock: ThreadNamingClock
) -> None:
    members = (top_up_command(book, "0.01"),) * (LOOP_STATEMENTS_MAX_TRANSFERS + 1)

    async def serve() -> str:
        async with ledger.engine.on_event_loop():
            clock.threads.clear()
            await engine_waiter(ledger.submit(TransferBatch(book.tenant.id, members)))
            return threading.current_thread().name

    loop_thread = asyncio.run(serve())

    assert loop_thread not in clock.threads
    assert clock.threads[0].startswith("tallybook-posting-commit")
    assert available(ledger, book, book.alice) == LOOP_STATEMENTS_MAX_TRANSFERS + 1


def test_waiting_for_the_engine_on_the_loop_that_applies_its_batches_is_refused_not_hung(
    ledger: Ledger, book: Book
) -> None:
    async def serve() -> None:
        async with ledger.engine.on_event_loop():
            ledger.execute(top_up_command(book, "1.00"))

    with pytest.raises(RuntimeError, match="event loop that applies its batches"):
        asyncio.run(serve())
    # The refused wait's command was still applied, when the loop was left.
    assert available(ledger, book, book.alice) == 100


def test_on_any_database_the_answers_are_the_same_on_the_loop(
    any_database: Database, clock: ThreadNamingClock
) -> None:
    """On PostgreSQL the loop leaves the batches to the engine thread (a statement is a round
    trip the loop must not wait for); the callers see no difference."""
    with Ledger(any_database, clock=clock) as ledger:
        book = open_book(ledger)
        top_up(ledger, book, book.alice, "12.00")

        async def serve() -> tuple[str, list[int]]:
            async with ledger.engine.on_event_loop():
                clock.threads.clear()
                results = await asyncio.gather(
                    *(engine_waiter(ledger.submit(pay(book, "2.00"))) for _ in range(6))
                )
                return threading.current_thread().name, [r.transfer.amount for r in results]

        loop_thread, amounts = asyncio.run(serve())

        on_the_loop = any_database.is_sqlite
        assert set(clock.threads) == {loop_thread if on_the_loop else "tallybook-posting-engine"}
        assert amounts == [200] * 6
        assert available(ledger, book, book.alice) == 0


def test_while_on_the_loop_threads_switch_often_so_a_finished_commit_is_told_at_once(
    ledger: Ledger,
) -> None:
    before = sys.getswitchinterval()

    async def serve() -> float:
        async with ledger.engine.on_event_loop():
            return sys.getswitchinterval()

    assert asyncio.run(serve()) == LOOP_SWITCH_INTERVAL_SECONDS
    assert sys.getswitchinterval() == before


def test_on_the_loop_a_retried_request_among_new_ones_gets_its_first_result(
    ledger: Ledger, book: Book
) -> None:
    """The batch's first attempt does not look its keys up; the retry's key, claimed before,
    fails the write, and the batch is rolled back and applied again with its keys read."""
    top_up(ledger, book, book.alice, "100.00")

    async def serve() -> tuple[bool, bool, int, int]:
        async with ledger.engine.on_event_loop():
            first = await engine_waiter(ledger.submit(pay(book, "10.00", key="order-1")))
            retried, new = await asyncio.gather(
                engine_waiter(ledger.submit(pay(book, "10.00", key="order-1"))),
                engine_waiter(ledger.submit(pay(book, "20.00", key="order-2"))),
            )
            assert retried.transfer.id == first.transfer.id
            return (
                retried.replayed,
                new.replayed,
                new.transfer.amount,
                ledger.engine.statistics.retries,
            )

    retried_replayed, new_replayed, new_amount, retries = asyncio.run(serve())

    assert (retried_replayed, new_replayed, new_amount) == (True, False, 2000)
    assert retries >= 1
    assert available(ledger, book, book.alice) == 10000 - 1000 - 2000


def test_the_switch_interval_comes_back_only_when_the_last_of_two_loops_has_left() -> None:
    before = sys.getswitchinterval()
    first, second = frequent_switches(), frequent_switches()

    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first to enter leaves first
    assert sys.getswitchinterval() == LOOP_SWITCH_INTERVAL_SECONDS
    second.__exit__(None, None, None)

    assert sys.getswitchinterval() == before
