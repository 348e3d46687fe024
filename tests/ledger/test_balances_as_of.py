"""Balances as of a moment, at every boundary: before the first entry, exactly at an entry's
time, between entries, after the last one; for a parent with its sub-accounts; and the chain
times the engine keeps rising even when the clock steps back."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.errors import ValidationError
from tallybook.ledger.queries import BalanceAt
from tallybook.model import TransferType
from tests.support import Book, ManualClock, open_book, top_up


def posted_at(
    ledger: Ledger, book: Book, moment: datetime, *, tree: bool = False
) -> list[BalanceAt]:
    return ledger.balances_as_of(book.tenant.id, book.alice, moment, with_sub_accounts=tree)


def test_as_of_each_boundary_of_an_account_history(ledger: Ledger, clock: ManualClock) -> None:
    book = open_book(ledger)
    before_first = clock.now() - timedelta(microseconds=1)
    first_at = clock.now()
    top_up(ledger, book, book.alice, "10.00")
    clock.advance(60)
    second_at = clock.now()
    top_up(ledger, book, book.alice, "5.50")
    between = second_at + timedelta(seconds=30)
    clock.advance(60)
    ledger.execute(
        CreateTransfer(
            book.tenant.id, book.alice, book.revenue, Decimal("3.00"), "CNY",
            TransferType.ORDER_PAYMENT,
        )
    )  # fmt: skip

    assert posted_at(ledger, book, before_first) == []
    assert posted_at(ledger, book, first_at) == [BalanceAt("CNY", 1000, 1)]
    assert posted_at(ledger, book, second_at - timedelta(microseconds=1)) == [
        BalanceAt("CNY", 1000, 1)
    ]
    assert posted_at(ledger, book, second_at) == [BalanceAt("CNY", 1550, 2)]
    assert posted_at(ledger, book, between) == [BalanceAt("CNY", 1550, 2)]
    assert posted_at(ledger, book, clock.now() + timedelta(days=365)) == [BalanceAt("CNY", 1250, 3)]


def test_as_of_a_parent_sums_its_sub_accounts_per_currency(
    ledger: Ledger, clock: ManualClock
) -> None:
    book = open_book(ledger)
    child = ledger.create_account(book.tenant.id, "alice-team", "Team", parent_id=book.alice).id
    top_up(ledger, book, book.alice, "20.00")
    clock.advance(10)
    ledger.execute(
        CreateTransfer(
            book.tenant.id, book.alice, child, Decimal("8.00"), "CNY", TransferType.ALLOCATION
        )
    )
    allocated_at = clock.now()
    clock.advance(10)
    top_up(ledger, book, child, "1.00")

    own = posted_at(ledger, book, allocated_at)
    whole_tree = posted_at(ledger, book, allocated_at, tree=True)

    assert own == [BalanceAt("CNY", 1200, 2)]
    assert whole_tree == [BalanceAt("CNY", 2000, 3)]


def test_a_time_without_an_offset_is_refused_by_name(ledger: Ledger) -> None:
    book = open_book(ledger)

    with pytest.raises(ValidationError) as refused:
        posted_at(ledger, book, datetime(2026, 1, 1))

    assert refused.value.field == "as_of"


def test_entries_are_never_stamped_before_their_chain_head(
    ledger: Ledger, clock: ManualClock
) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "10.00")
    first_at = clock.now()
    clock.advance(-3600)  # another process's clock, or a step back of this one
    top_up(ledger, book, book.alice, "1.00")

    stamps = [entry.created_at for entry in ledger.entries(book.tenant.id, book.alice)]

    assert stamps == [first_at, first_at]
    assert posted_at(ledger, book, first_at) == [BalanceAt("CNY", 1100, 2)]
    assert ledger.verify().ok
