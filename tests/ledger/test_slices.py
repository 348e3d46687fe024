"""Offset slices with totals: the pagination the seed APIs speak, over the core's filters."""

from __future__ import annotations

from decimal import Decimal

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.queries import AccountQuery, EntryQuery, Slice
from tallybook.model import AccountKind, References, TransferType
from tests.support import open_book, top_up


def test_an_entry_slice_counts_every_match_and_returns_its_window(ledger: Ledger) -> None:
    book = open_book(ledger)
    for amount in ("1.00", "2.00", "3.00", "4.00", "5.00"):
        top_up(ledger, book, book.alice, amount)
    query = EntryQuery(book.tenant.id, account_ids=frozenset({book.alice}))

    newest = ledger.slice_entries(query, Slice(offset=1, limit=2))
    oldest = ledger.slice_entries(query, Slice(offset=0, limit=2, newest_first=False))
    beyond = ledger.slice_entries(query, Slice(offset=10, limit=2))

    assert newest.total == oldest.total == beyond.total == 5
    assert [line.entry.amount for line in newest.items] == [400, 300]
    assert [line.entry.amount for line in oldest.items] == [100, 200]
    assert beyond.items == []


def test_the_total_follows_filters_on_the_transfer(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "50.00")
    for number, country in (("ORD-1", "US"), ("ORD-2", "GB"), ("ORD-3", "US")):
        ledger.execute(
            CreateTransfer(
                book.tenant.id,
                book.alice,
                book.revenue,
                Decimal("1.00"),
                "CNY",
                TransferType.ORDER_PAYMENT,
                References(order_number=number, country_code=country, tags=("usage",)),
            )
        )
    customers = EntryQuery(book.tenant.id, account_kind=AccountKind.CUSTOMER)
    american = EntryQuery(
        book.tenant.id,
        type=TransferType.ORDER_PAYMENT,
        country_code="US",
        tag="usage",
        account_kind=AccountKind.CUSTOMER,
    )

    assert ledger.slice_entries(customers, Slice(limit=100)).total == 4
    assert ledger.slice_entries(EntryQuery(book.tenant.id), Slice(limit=100)).total == 8
    found = ledger.slice_entries(american, Slice(limit=100))
    assert found.total == 2
    assert {line.references.order_number for line in found.items} == {"ORD-1", "ORD-3"}


def test_an_account_slice_runs_in_number_order_within_a_scope(ledger: Ledger) -> None:
    book = open_book(ledger)  # numbers: world 1, revenue 2, alice 3, bob 4
    carol = ledger.create_account(book.tenant.id, "carol", "Carol", parent_id=book.alice)
    customers = AccountQuery(book.tenant.id, kind=AccountKind.CUSTOMER)
    alices = AccountQuery(book.tenant.id, within=frozenset({book.alice, carol.id}))

    page = ledger.slice_accounts(customers, Slice(offset=1, limit=5, newest_first=False))
    assert page.total == 3
    assert [account.number for account in page.items] == [4, 5]
    assert [a.id for a in ledger.slice_accounts(alices, Slice(limit=5)).items] == [
        carol.id,
        book.alice,
    ]
