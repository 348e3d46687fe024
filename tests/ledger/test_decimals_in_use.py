"""The engine reads a tenant's currencies only until the ones a batch moves hold balances: the
decimals of a currency in use can no longer change (`configure_currency` refuses), so once a
batch has locked an existing balance in it they are remembered. A currency not in use yet is
read every time, so a change of its decimals counts from the next transfer on."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from tallybook.ledger import CreateTransfer, Ledger, errors
from tallybook.model import TransferType
from tests.support import Book, available, open_book, top_up


class CurrencyReads:
    """Counts the statements that read the currencies table."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM currencies" in statement:
            self.count += 1


@pytest.fixture
def currency_reads(ledger: Ledger) -> Iterator[CurrencyReads]:
    reads = CurrencyReads()
    event.listen(ledger.database.engine, "before_cursor_execute", reads)
    yield reads
    event.remove(ledger.database.engine, "before_cursor_execute", reads)


def pay(book: Book, amount: str, currency: str | None = None) -> CreateTransfer:
    return CreateTransfer(
        book.tenant.id,
        book.alice,
        book.bob,
        Decimal(amount),
        currency or book.currency,
        TransferType.ALLOCATION,
    )


def test_batches_on_balances_in_use_read_no_currencies(
    ledger: Ledger, currency_reads: CurrencyReads
) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "10.00")  # alice's balance is new: nothing remembered
    ledger.execute(pay(book, "1.00"))  # both balances exist once bob's is written
    ledger.execute(pay(book, "1.00"))
    reads_before = currency_reads.count

    ledger.execute(pay(book, "1.00"))
    ledger.execute(pay(book, "2.50"))

    assert currency_reads.count == reads_before
    assert available(ledger, book, book.bob) == 550


def test_the_remembered_decimals_still_refuse_an_amount_finer_than_the_currency(
    ledger: Ledger, currency_reads: CurrencyReads
) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "10.00")
    ledger.execute(pay(book, "1.00"))
    ledger.execute(pay(book, "1.00"))
    reads_before = currency_reads.count

    with pytest.raises(errors.InvalidAmount):
        ledger.execute(pay(book, "0.001"))
    assert currency_reads.count == reads_before


def test_a_currency_not_in_use_is_read_again_so_new_decimals_count_at_once(
    ledger: Ledger,
) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "10.00")
    ledger.execute(pay(book, "1.00"))
    ledger.configure_currency(book.tenant.id, "USD", 2)
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(pay(book, "1.00", "USD"))  # read with 2 decimals; alice holds no USD

    ledger.configure_currency(book.tenant.id, "USD", 0)  # still allowed: USD holds no balance

    with pytest.raises(errors.InvalidAmount):
        ledger.execute(pay(book, "0.5", "USD"))
