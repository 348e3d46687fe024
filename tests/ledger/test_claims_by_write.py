"""Idempotency keys are claimed by the write: a batch's first attempt does not read its keys
first. A retried request in it is found either by the unique (tenant, key) constraint at the
write or, when it writes no transfer this time (refused, or a balance set to what it already
is), by reading the keys the batch does not write; the batch is then applied again with its
keys read, and the retry gets its first result.

The batches are formed by hand (an engine of the test's own, never started, runs each batch on
the test's thread), so the commands really share one batch whatever the timing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from tallybook.ledger import Ledger, engine, errors
from tallybook.ledger.commands import Command, PostingResult, SetBalance
from tallybook.ledger.engine import EngineStatistics, PostingEngine, _Work
from tests.support import Book, available, open_book, pay, top_up

KEY_LOOKUP = re.compile(r"idempotency_key (=|IN)")


@pytest.fixture
def book(ledger: Ledger) -> Book:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    return book


class OwnEngine:
    """An engine of the test's own: `batch` applies its commands as one batch, on this thread,
    and says how many key lookups the database was asked for."""

    def __init__(self, ledger: Ledger, max_attempts: int) -> None:
        self.engine = PostingEngine(
            ledger.database,
            ledger.clock,
            max_batch_commands=100,
            max_batch_wait_seconds=0,
            max_attempts=max_attempts,
        )
        self.key_lookups = 0

    @property
    def statistics(self) -> EngineStatistics:
        return self.engine.statistics

    def batch(self, *commands: Command) -> list[PostingResult | errors.LedgerError]:
        work = [_Work(command, Future()) for command in commands]
        for item in work:
            item.future.set_running_or_notify_cancel()
        self.engine._process_here(work)
        return [item.future.exception() or item.future.result() for item in work]  # type: ignore[misc]

    def count_key_lookups(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and KEY_LOOKUP.search(statement):
            self.key_lookups += 1


@contextmanager
def own_engine(ledger: Ledger, *, max_attempts: int = 5) -> Iterator[OwnEngine]:
    own = OwnEngine(ledger, max_attempts)
    event.listen(ledger.database.engine, "before_cursor_execute", own.count_key_lookups)
    try:
        yield own
    finally:
        event.remove(ledger.database.engine, "before_cursor_execute", own.count_key_lookups)
        own.engine._close_connection()


def test_a_batch_of_new_keys_writes_without_reading_them_first(ledger: Ledger, book: Book) -> None:
    with own_engine(ledger) as own:
        outcomes = own.batch(pay(book, "10.00", key="order-1"), pay(book, "20.00", key="order-2"))

    assert all(isinstance(o, PostingResult) and not o.replayed for o in outcomes)
    assert own.key_lookups == 0
    assert own.statistics.retries == 0
    assert available(ledger, book, book.alice) == 7000


def test_a_retried_request_among_new_ones_gets_its_first_result(ledger: Ledger, book: Book) -> None:
    first = ledger.execute(pay(book, "10.00", key="order-1"))

    with own_engine(ledger) as own:
        fresh, again, other = own.batch(
            pay(book, "20.00", key="order-2"),
            pay(book, "10.00", key="order-1"),
            pay(book, "5", key="order-3"),
        )

    assert isinstance(again, PostingResult) and again.replayed
    assert again.transfer == first.transfer
    assert isinstance(fresh, PostingResult) and not fresh.replayed
    assert isinstance(other, PostingResult) and not other.replayed
    assert own.statistics.retries == 1  # the write met the key; the batch was applied again
    assert available(ledger, book, book.alice) == 10000 - 1000 - 2000 - 500
    assert len(ledger.entries(book.tenant.id, book.alice)) == 4  # top-up and three payments


def test_a_retried_request_that_would_be_refused_now_still_gets_its_first_result(
    ledger: Ledger, book: Book
) -> None:
    first = ledger.execute(pay(book, "100.00", key="order-1"))  # every cent alice had

    with own_engine(ledger) as own:
        (again,) = own.batch(pay(book, "100.00", key="order-1"))

    assert isinstance(again, PostingResult) and again.replayed
    assert again.transfer == first.transfer
    assert own.statistics.retries == 1
    assert available(ledger, book, book.alice) == 0


def test_a_retried_balance_set_that_has_nothing_left_to_do_still_gets_its_first_result(
    ledger: Ledger, book: Book
) -> None:
    set_to_forty = SetBalance(
        book.tenant.id, book.alice, book.world, book.currency, Decimal("40.00"),
        idempotency_key="set-1",
    )  # fmt: skip
    first = ledger.execute(set_to_forty)

    with own_engine(ledger) as own:
        (again,) = own.batch(set_to_forty)  # alice holds 40.00: it would write nothing

    assert isinstance(again, PostingResult) and again.replayed
    assert again.transfers == first.transfers and len(first.transfers) == 1
    assert own.statistics.retries == 1
    assert available(ledger, book, book.alice) == 4000


def test_a_refused_request_with_a_new_key_stays_refused_after_one_read_of_its_key(
    ledger: Ledger, book: Book
) -> None:
    with own_engine(ledger) as own:
        (refused,) = own.batch(pay(book, "100.01", key="order-1"))

    assert isinstance(refused, errors.InsufficientFunds)
    assert own.key_lookups == 1
    assert own.statistics.retries == 0


@pytest.mark.parametrize("amount", ["11.00", "1000.00"], ids=["would-post", "would-be-refused"])
def test_a_key_reused_for_another_request_is_a_conflict(
    ledger: Ledger, book: Book, amount: str
) -> None:
    ledger.execute(pay(book, "10.00", key="order-1"))

    with own_engine(ledger) as own:
        (reused,) = own.batch(pay(book, amount, key="order-1"))

    assert isinstance(reused, errors.IdempotencyConflict)
    assert available(ledger, book, book.alice) == 9000


def test_after_a_retried_request_batches_read_their_keys_first_for_a_while(
    ledger: Ledger, book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "LOOK_UP_CLAIMS_AFTER_REPLAY_SECONDS", 3600.0)
    ledger.execute(pay(book, "10.00", key="order-1"))
    ledger.execute(pay(book, "10.00", key="order-2"))

    with own_engine(ledger) as own:
        (first_retry,) = own.batch(pay(book, "10.00", key="order-1"))
        (second_retry,) = own.batch(pay(book, "10.00", key="order-2"))

    assert isinstance(first_retry, PostingResult) and first_retry.replayed
    assert isinstance(second_retry, PostingResult) and second_retry.replayed
    assert own.statistics.retries == 1  # only the first batch was applied twice
    assert own.key_lookups == 2  # the first batch's second attempt, and the second batch


def test_an_engine_allowed_one_attempt_reads_its_keys_first(ledger: Ledger, book: Book) -> None:
    first = ledger.execute(pay(book, "10.00", key="order-1"))

    with own_engine(ledger, max_attempts=1) as own:
        (again,) = own.batch(pay(book, "10.00", key="order-1"))

    assert isinstance(again, PostingResult) and again.transfer == first.transfer
    assert own.key_lookups == 1
    assert own.statistics.retries == 0
