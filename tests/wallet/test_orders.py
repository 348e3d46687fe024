"""Orders: a charge from the balance, then refunds that never pass what was charged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tallybook.ledger import Ledger, errors
from tallybook.ledger.queries import Window
from tallybook.model import TransferType
from tallybook.wallet import orders
from tallybook.wallet.errors import DuplicateOrder, InvalidState, RefundExceedsCharge
from tallybook.wallet_model import Order, OrderQuery, OrderStatus
from tests.support import Book, available, open_book, top_up


@pytest.fixture
def book(ledger: Ledger) -> Book:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    return book


def charge(ledger: Ledger, book: Book, number: str = "ORD-1", amount: str = "30.00") -> Order:
    return orders.charge(
        ledger,
        book.tenant.id,
        book.alice,
        number,
        "Wireless earbuds",
        Decimal(amount),
        "CNY",
        image_url="https://shop.example/earbuds.png",
        country_code="CN",
        tags=("electronics",),
    ).record


def refund(ledger: Ledger, book: Book, order: Order, amount: str | None = None) -> Order:
    return orders.refund(
        ledger,
        book.tenant.id,
        order.id,
        amount=None if amount is None else Decimal(amount),
        reason="damaged",
        operator="support",
    ).record


def test_a_charge_pays_revenue_with_a_receipt(ledger: Ledger, book: Book) -> None:
    result = orders.charge(
        ledger, book.tenant.id, book.alice, "ORD-1", "Earbuds", Decimal("30.00"), "CNY"
    )

    order = result.record
    assert order.status is OrderStatus.PAID
    assert order.receipt_id.startswith("OP-")
    (payment,) = result.transfers
    assert payment.id == order.payment_transfer_id
    assert (payment.debit_account_id, payment.credit_account_id) == (book.alice, book.revenue)
    assert payment.type is TransferType.ORDER_PAYMENT
    assert payment.references.order_number == "ORD-1"
    assert payment.references.receipt_id == order.receipt_id
    assert payment.references.note == "Earbuds"  # the title, when no note is given
    assert available(ledger, book, book.alice) == 7000


def test_an_order_number_is_charged_once(ledger: Ledger, book: Book) -> None:
    charge(ledger, book, "ORD-1")

    with pytest.raises(DuplicateOrder):
        charge(ledger, book, "ORD-1", "1.00")

    assert available(ledger, book, book.alice) == 7000
    other = open_book(ledger)
    top_up(ledger, other, other.alice, "5.00")
    orders.charge(ledger, other.tenant.id, other.alice, "ORD-1", "x", Decimal(1), "CNY")


def test_a_refused_charge_keeps_the_order_number_free(ledger: Ledger, book: Book) -> None:
    with pytest.raises(errors.InsufficientFunds):
        charge(ledger, book, "ORD-1", "100.01")

    assert charge(ledger, book, "ORD-1", "100.00").status is OrderStatus.PAID


def test_partial_refunds_then_the_rest(ledger: Ledger, book: Book) -> None:
    order = charge(ledger, book)

    first = refund(ledger, book, order, "10.00")
    assert (first.status, first.refunded, first.refundable) == (
        OrderStatus.PARTIALLY_REFUNDED,
        1000,
        2000,
    )
    second = refund(ledger, book, order, "5.00")
    assert second.status is OrderStatus.PARTIALLY_REFUNDED
    last = refund(ledger, book, order)  # all that is left

    assert (last.status, last.refunded) == (OrderStatus.REFUNDED, 3000)
    assert [r.amount for r in last.refunds] == [1000, 500, 1500]
    assert all(r.receipt_id.startswith("RF-") for r in last.refunds)
    assert available(ledger, book, book.alice) == 10000
    transfer = ledger.get_transfer(book.tenant.id, last.refunds[0].transfer_id)
    assert (transfer.type, transfer.debit_account_id) == (TransferType.REFUND, book.revenue)
    assert transfer.references.order_number == "ORD-1"
    assert orders.get(ledger, book.tenant.id, order.id) == last


def test_a_refund_never_passes_the_charge(ledger: Ledger, book: Book) -> None:
    order = charge(ledger, book)
    refund(ledger, book, order, "20.00")

    with pytest.raises(RefundExceedsCharge, match=r"has 10\.00 CNY left to refund, 10\.01 CNY"):
        refund(ledger, book, order, "10.01")
    refund(ledger, book, order, "10.00")
    with pytest.raises(InvalidState) as refused:
        refund(ledger, book, order, "0.01")

    assert refused.value.current_state == "refunded"
    assert available(ledger, book, book.alice) == 10000
    assert ledger.verify().ok


def test_orders_are_listed_with_their_refunds_and_filters(ledger: Ledger, book: Book) -> None:
    first = charge(ledger, book, "ORD-1", "10.00")
    refund(ledger, book, first, "1.00")
    orders.charge(
        ledger,
        book.tenant.id,
        book.alice,
        "ORD-2",
        "Ticket",
        Decimal(5),
        "CNY",
        country_code="SG",
        tags=("tickets", "promo"),
    )

    def listed(**filters: object) -> list[str]:
        query = OrderQuery(tenant_id=book.tenant.id, **filters)  # type: ignore[arg-type]
        return [o.order_number for o in orders.list_page(ledger, query, Window()).items]

    assert listed() == ["ORD-2", "ORD-1"]
    assert listed(status=OrderStatus.PARTIALLY_REFUNDED) == ["ORD-1"]
    assert listed(country_code="SG") == ["ORD-2"]
    assert listed(tag="promo") == ["ORD-2"]
    assert listed(order_number="ORD-1") == ["ORD-1"]
    page = orders.list_page(ledger, OrderQuery(tenant_id=book.tenant.id), Window())
    assert [len(o.refunds) for o in page.items] == [0, 1]
