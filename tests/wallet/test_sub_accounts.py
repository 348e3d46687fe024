"""Sub-accounts: a parent funds a child and takes money back, both sides in the history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tallybook.ledger import Ledger, errors
from tallybook.ledger.ids import new_id
from tallybook.model import TransferType
from tallybook.wallet import sub_accounts
from tallybook.wallet.sub_accounts import Allocation
from tests.support import Book, available, open_book, top_up


@pytest.fixture
def book(ledger: Ledger) -> Book:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    return book


def test_allocate_and_reclaim_show_in_both_histories(ledger: Ledger, book: Book) -> None:
    child = ledger.create_account(book.tenant.id, "alice-1", "Alice's shop", parent_id=book.alice)

    given = sub_accounts.allocate(
        ledger, Allocation(book.tenant.id, book.alice, child.id, Decimal(40), "CNY", note="budget")
    ).transfer
    taken = sub_accounts.allocate(
        ledger, Allocation(book.tenant.id, book.alice, child.id, Decimal(15), "CNY", reclaim=True)
    ).transfer

    assert (given.debit_account_id, given.credit_account_id) == (book.alice, child.id)
    assert (taken.debit_account_id, taken.credit_account_id) == (child.id, book.alice)
    assert given.type is taken.type is TransferType.ALLOCATION
    assert available(ledger, book, child.id) == 2500
    assert available(ledger, book, book.alice) == 7500
    for account in (book.alice, child.id):
        transfers = {e.transfer_id for e in ledger.entries(book.tenant.id, account)}
        assert {given.id, taken.id} <= transfers


def test_only_a_direct_child_of_the_tenant_is_funded(ledger: Ledger, book: Book) -> None:
    child = ledger.create_account(book.tenant.id, "alice-1", "Child", parent_id=book.alice)
    grandchild = ledger.create_account(book.tenant.id, "alice-1-1", "Grand", parent_id=child.id)

    elsewhere = open_book(ledger).alice  # another tenant's account

    for parent, other in (
        (book.alice, book.bob),
        (book.alice, grandchild.id),
        (child.id, book.alice),
        (book.alice, elsewhere),
        (book.alice, new_id()),
    ):
        with pytest.raises(errors.AccountNotFound) as refused:
            sub_accounts.allocate(
                ledger, Allocation(book.tenant.id, parent, other, Decimal(1), "CNY")
            )
        assert refused.value.field == "sub_account_id"


def test_a_parent_gives_only_what_it_has(ledger: Ledger, book: Book) -> None:
    child = ledger.create_account(book.tenant.id, "alice-1", "Child", parent_id=book.alice)

    with pytest.raises(errors.InsufficientFunds):
        sub_accounts.allocate(
            ledger, Allocation(book.tenant.id, book.alice, child.id, Decimal(101), "CNY")
        )
    with pytest.raises(errors.InsufficientFunds):
        sub_accounts.allocate(
            ledger, Allocation(book.tenant.id, book.alice, child.id, Decimal(1), "CNY", True)
        )
