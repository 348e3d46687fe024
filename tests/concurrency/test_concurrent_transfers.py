"""Concurrency: many workers on one database, through several independent posting engines.

Four `Ledger` instances share the database, each with its own engine thread and connections,
as four server processes would; worker threads spread over them. So batches from different
engines really contend for the same rows (PostgreSQL row locks, SQLite's write lock), and
each engine's group commit is exercised by the threads sharing it.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from tallybook.ledger import CreateTransfer, Ledger, PostPending, VoidPending, errors
from tallybook.model import AccountKind, TransferType
from tests.concurrency.workers import ENGINES, run_together
from tests.support import Book, open_book, top_up

WORKERS = 32
TRANSFERS_PER_WORKER = 300
HOT_SHARE = 0.8
COLD_ACCOUNTS = 40


def test_hot_account_traffic_from_32_workers_stays_exact(ledgers: list[Ledger]) -> None:
    hot_account_traffic(ledgers)


def test_hot_account_traffic_stays_exact_with_engines_on_event_loops(
    ledgers: list[Ledger],
) -> None:
    """Two of the four engines apply their batches on event loops of their own (as a served
    process does on SQLite): their statements run on the loop, and the write lock, which the
    other engines take too, is waited for on a helper thread."""
    with on_event_loops(ledgers[:2]):
        hot_account_traffic(ledgers)
    assert all(ledger.engine.statistics.commands > 0 for ledger in ledgers[:2])


@contextmanager
def on_event_loops(ledgers: list[Ledger]) -> Iterator[None]:
    """Each of `ledgers` applies its batches on an event loop run by a thread of its own,
    until the block ends."""
    entered = threading.Barrier(len(ledgers) + 1)
    leave = threading.Event()

    def serve(ledger: Ledger) -> None:
        async def hold() -> None:
            async with ledger.engine.on_event_loop():
                entered.wait()
                while not leave.is_set():
                    await asyncio.sleep(0.01)

        asyncio.run(hold())

    threads = [threading.Thread(target=serve, args=(ledger,)) for ledger in ledgers]
    for thread in threads:
        thread.start()
    entered.wait()
    try:
        yield
    finally:
        leave.set()
        for thread in threads:
            thread.join()


def hot_account_traffic(ledgers: list[Ledger]) -> None:
    """32 workers spread over the ledgers move money between a hot account and 40 others;
    the books verify, and no balance went negative."""
    first = ledgers[0]
    book = open_book(first)
    hot = book.alice
    cold = [
        first.create_account(book.tenant.id, f"cold-{n}", f"Cold {n}").id
        for n in range(COLD_ACCOUNTS)
    ]
    top_up(first, book, hot, "100000.00")
    for account in cold:
        top_up(first, book, account, "100.00")
    funding_transfers = 1 + COLD_ACCOUNTS

    def worker(number: int) -> int:
        ledger = ledgers[number % ENGINES]
        randomness = random.Random(number)
        accepted = 0
        for _ in range(TRANSFERS_PER_WORKER):
            if randomness.random() < HOT_SHARE:
                other = randomness.choice(cold)
                debit, credit = (hot, other) if randomness.random() < 0.5 else (other, hot)
            else:
                debit, credit = randomness.sample(cold, 2)
            amount = Decimal(randomness.randint(1, 5000)).scaleb(-2)
            try:
                ledger.execute(
                    CreateTransfer(
                        book.tenant.id,
                        debit,
                        credit,
                        amount,
                        book.currency,
                        TransferType.ALLOCATION,
                    )
                )
                accepted += 1
            except errors.InsufficientFunds:
                pass
        return accepted

    accepted = sum(run_together(WORKERS, worker))

    report = first.verify()
    assert report.ok, report.render()
    assert report.counts["entries"] == 2 * (accepted + funding_transfers)
    assert accepted > WORKERS * TRANSFERS_PER_WORKER // 2
    for account in [hot, *cold]:
        balance = first.balance(book.tenant.id, account, book.currency)
        assert balance.posted >= 0 and balance.available >= 0
    statistics = [ledger.engine.statistics for ledger in ledgers]
    # Group commit happened: fewer transactions than commands.
    assert sum(s.batches for s in statistics) < sum(s.commands for s in statistics)


def test_concurrent_holds_accept_exactly_the_affordable_ones(ledgers: list[Ledger]) -> None:
    book = open_book(ledgers[0])
    top_up(ledgers[0], book, book.alice, "100.00")
    hold_amount = Decimal("7.00")
    attempts = 40

    def place_hold(number: int) -> bool:
        try:
            ledgers[number % ENGINES].execute(
                CreateTransfer(
                    book.tenant.id,
                    book.alice,
                    book.revenue,
                    hold_amount,
                    book.currency,
                    TransferType.WITHDRAWAL,
                    pending=True,
                )
            )
        except errors.InsufficientFunds:
            return False
        return True

    accepted = sum(run_together(attempts, place_hold))

    assert accepted == 14  # floor(100.00 / 7.00)
    balance = ledgers[0].balance(book.tenant.id, book.alice, book.currency)
    assert (balance.posted, balance.held, balance.available) == (10000, 9800, 200)
    assert ledgers[0].verify().ok


def test_one_idempotency_key_sent_concurrently_moves_money_once(ledgers: list[Ledger]) -> None:
    book = open_book(ledgers[0])
    command = CreateTransfer(
        book.tenant.id,
        book.world,
        book.alice,
        Decimal("25.00"),
        book.currency,
        TransferType.TOPUP,
        idempotency_key="topup-42",
    )

    results = run_together(12, lambda number: ledgers[number % ENGINES].execute(command))

    assert len({result.transfer.id for result in results}) == 1
    assert sum(not result.replayed for result in results) == 1
    assert ledgers[0].balance(book.tenant.id, book.alice, book.currency).posted == 2500
    assert ledgers[0].verify().ok


def test_racing_post_and_void_of_one_hold_resolve_it_once(ledgers: list[Ledger]) -> None:
    book = open_book(ledgers[0])
    top_up(ledgers[0], book, book.alice, "100.00")
    holds = [
        ledgers[0]
        .execute(
            CreateTransfer(
                book.tenant.id,
                book.alice,
                book.revenue,
                Decimal("10.00"),
                book.currency,
                TransferType.ORDER_PAYMENT,
                pending=True,
            )
        )
        .transfer
        for _ in range(5)
    ]

    def resolve(number: int) -> bool:
        hold = holds[number % len(holds)]
        command = (
            PostPending(book.tenant.id, hold.id)
            if number % 2
            else VoidPending(book.tenant.id, hold.id)
        )
        try:
            ledgers[number % ENGINES].execute(command)
        except errors.HoldAlreadyResolved:
            return False
        return True

    succeeded = sum(run_together(20, resolve))

    assert succeeded == len(holds)
    balance = ledgers[0].balance(book.tenant.id, book.alice, book.currency)
    assert balance.held == 0
    report = ledgers[0].verify()
    assert report.ok, report.render()


def test_customer_accounts_never_go_negative_under_contention(ledgers: list[Ledger]) -> None:
    book: Book = open_book(ledgers[0])
    top_up(ledgers[0], book, book.alice, "10.00")

    def drain(number: int) -> int:
        spent = 0
        for _ in range(20):
            try:
                ledgers[number % ENGINES].execute(
                    CreateTransfer(
                        book.tenant.id,
                        book.alice,
                        book.revenue,
                        Decimal("0.30"),
                        book.currency,
                        TransferType.ORDER_PAYMENT,
                    )
                )
                spent += 30
            except errors.InsufficientFunds:
                pass
        return spent

    spent = sum(run_together(16, drain))

    assert spent == 990
    balance = ledgers[0].balance(book.tenant.id, book.alice, book.currency)
    assert balance.posted == 10
    assert ledgers[0].get_account(book.tenant.id, book.alice).kind is AccountKind.CUSTOMER
