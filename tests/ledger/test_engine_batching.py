"""How the posting engine forms its batches: a lone command never waits; a busy engine gathers.

`take_batch` is driven here by a scripted queue that tells apart what is already queued
(`get_nowait` finds it) from what arrives only while the engine waits (`get` hands it over),
and records every wait, so the tests need no clock and no sleeps.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import psycopg

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.engine import take_batch
from tallybook.model import TransferType
from tallybook.settings import Settings
from tallybook.storage.database import Database
from tests.conftest import postgres_database
from tests.support import ManualClock, open_book

AN_HOUR_SECONDS = 3600.0


class ScriptedQueue:
    """`ready` is queued already; each of `arriving` comes only to a caller that waits."""

    def __init__(self, ready: list[str | None], arriving: list[str | None]) -> None:
        self.ready = deque(ready)
        self.arriving = deque(arriving)
        self.waits: list[float | None] = []

    def get_nowait(self) -> str | None:
        if not self.ready:
            raise queue.Empty
        return self.ready.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> str | None:
        self.waits.append(timeout)
        if not self.arriving:
            raise queue.Empty
        return self.arriving.popleft()


def test_a_lone_command_on_an_idle_engine_goes_at_once_whatever_the_gather_window() -> None:
    idle = ScriptedQueue(ready=[], arriving=["lone", "later"])

    batch, stopping = take_batch(idle, max_commands=2000, max_wait_seconds=AN_HOUR_SECONDS)

    assert (batch, stopping) == (["lone"], False)
    assert idle.waits == [None]  # it waited for the first command only, never for a window
    assert list(idle.arriving) == ["later"]


def test_a_busy_engine_gathers_what_arrives_within_the_window() -> None:
    busy = ScriptedQueue(ready=["a", "b"], arriving=["c"])

    batch, stopping = take_batch(busy, max_commands=2000, max_wait_seconds=AN_HOUR_SECONDS)

    assert (batch, stopping) == (["a", "b", "c"], False)
    assert len(busy.waits) == 2  # "c" came; the second wait found nothing and ended the batch
    assert all(wait is not None and 0 < wait <= AN_HOUR_SECONDS for wait in busy.waits)


def test_without_a_window_a_busy_engine_takes_only_what_is_queued() -> None:
    busy = ScriptedQueue(ready=["a", "b"], arriving=["c"])

    batch, _ = take_batch(busy, max_commands=2000, max_wait_seconds=0)

    assert batch == ["a", "b"]
    assert busy.waits == []


def test_a_full_batch_does_not_wait_and_leaves_the_rest_queued() -> None:
    busy = ScriptedQueue(ready=["a", "b", "c"], arriving=["d"])

    batch, _ = take_batch(busy, max_commands=2, max_wait_seconds=AN_HOUR_SECONDS)

    assert batch == ["a", "b"]
    assert busy.waits == []
    assert list(busy.ready) == ["c"]


def test_the_stop_signal_ends_the_batch_with_what_came_before_it() -> None:
    stopping_queue = ScriptedQueue(ready=["a", None, "after"], arriving=[])

    assert take_batch(stopping_queue, 2000, AN_HOUR_SECONDS) == (["a"], True)
    assert take_batch(ScriptedQueue([], [None]), 2000, AN_HOUR_SECONDS) == ([], True)


def test_a_ledger_with_the_longest_window_still_answers_a_lone_transfer(
    any_database: Database, clock: ManualClock
) -> None:
    settings = Settings(engine_max_batch_wait_seconds=1)
    with Ledger(any_database, clock=clock, settings=settings) as ledger:
        book = open_book(ledger)
        batches_before = ledger.engine.statistics.batches

        result = ledger.execute(
            CreateTransfer(
                book.tenant.id,
                book.world,
                book.alice,
                Decimal("5.00"),
                book.currency,
                TransferType.TOPUP,
            )
        )

        assert result.transfer.amount == 500
        assert ledger.engine.statistics.batches == batches_before + 1


class GateClock(ManualClock):
    """Holds the engine inside its next batch (the engine asks the time first) until opened."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False
        self.entered = threading.Event()
        self.gate = threading.Event()

    def now(self) -> datetime:
        if self.closed:
            self.closed = False
            self.entered.set()
            self.gate.wait(timeout=30)
        return super().now()


def test_a_command_cancelled_while_queued_is_not_applied_and_the_engine_goes_on(
    any_database: Database,
) -> None:
    clock = GateClock()
    with Ledger(any_database, clock=clock) as ledger:
        book = open_book(ledger)

        def top_up(account: UUID) -> CreateTransfer:
            return CreateTransfer(
                book.tenant.id, book.world, account, Decimal("5.00"), book.currency,
                TransferType.TOPUP,
            )  # fmt: skip

        clock.closed = True
        first = ledger.submit(top_up(book.alice))
        assert clock.entered.wait(timeout=30)  # the engine is inside the first batch
        given_up = ledger.submit(top_up(book.bob))
        assert given_up.cancel()
        clock.gate.set()

        assert first.result(timeout=30).transfer.amount == 500
        assert ledger.submit(top_up(book.alice)).result(timeout=30).transfer.amount == 500
        assert ledger.balances(book.tenant.id, book.bob) == []
        assert [b.posted for b in ledger.balances(book.tenant.id, book.alice)] == [1000]


def test_after_the_database_drops_its_connections_the_next_transfer_still_posts(
    postgres_migrated: str, clock: ManualClock
) -> None:
    """The engine keeps one connection between batches; a server restart (here: every
    backend terminated) fails the next batch's first statement, which is retried on a new
    connection."""
    database = postgres_database(postgres_migrated)
    try:
        with Ledger(database, clock=clock) as ledger:
            book = open_book(ledger)
            top_up = CreateTransfer(
                book.tenant.id, book.world, book.alice, Decimal("5.00"), book.currency,
                TransferType.TOPUP,
            )  # fmt: skip
            ledger.execute(top_up)
            with psycopg.connect(postgres_migrated.replace("+psycopg", "")) as admin:
                terminated = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
            assert terminated is not None and terminated[0] >= 1

            assert ledger.execute(top_up).transfer.amount == 500
            assert [b.posted for b in ledger.balances(book.tenant.id, book.alice)] == [1000]
            assert ledger.engine.statistics.retries >= 1
    finally:
        database.dispose()
