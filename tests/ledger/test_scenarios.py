"""Worked examples: accounting scenarios a wallet platform meets, run on each database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tallybook.ledger import (
    CreateTransfer,
    ExpireDueHolds,
    Ledger,
    PostPending,
    ReverseTransfer,
    TransferBatch,
    VoidPending,
    errors,
)
from tallybook.model import TransferStatus, TransferType
from tests.support import Book, ManualClock, available, open_book, pay, top_up


@pytest.fixture
def book(ledger: Ledger) -> Book:
    return open_book(ledger)


def test_a_top_up_then_a_purchase_leaves_the_difference(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "100.00")
    purchase = ledger.execute(pay(book, "35.50")).transfer

    assert available(ledger, book, book.alice) == 6450
    assert available(ledger, book, book.revenue) == 3550
    assert available(ledger, book, book.world) == -10000
    history = ledger.entries(book.tenant.id, book.alice)
    assert [(e.amount, e.balance_before, e.balance_after, e.sequence) for e in history] == [
        (10000, 0, 10000, 1),
        (-3550, 10000, 6450, 2),
    ]
    assert history[1].transfer_id == purchase.id
    assert purchase.references.order_number == "ORD-1"


def test_a_purchase_beyond_the_balance_is_refused_and_moves_nothing(
    ledger: Ledger, book: Book
) -> None:
    top_up(ledger, book, book.alice, "10.00")
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(pay(book, "10.01"))
    assert available(ledger, book, book.alice) == 1000
    assert len(ledger.entries(book.tenant.id, book.alice)) == 1


def test_a_hold_partly_posted_releases_the_rest(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "100.00")
    hold = ledger.execute(pay(book, "60.00", pending=True)).transfer
    assert hold.status is TransferStatus.PENDING
    balance = ledger.balance(book.tenant.id, book.alice, book.currency)
    assert (balance.posted, balance.held, balance.available) == (10000, 6000, 4000)
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(pay(book, "40.01"))

    posted = ledger.execute(PostPending(book.tenant.id, hold.id, Decimal("45.00"))).transfer

    balance = ledger.balance(book.tenant.id, book.alice, book.currency)
    assert (balance.posted, balance.held, balance.available) == (5500, 0, 5500)
    assert posted.pending_id == hold.id and posted.amount == 4500
    assert ledger.get_transfer(book.tenant.id, hold.id).status is TransferStatus.POSTED
    assert [e.amount for e in ledger.entries(book.tenant.id, book.alice)] == [10000, -4500]


def test_a_hold_resolves_exactly_once(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "100.00")
    hold = ledger.execute(pay(book, "60.00", pending=True)).transfer
    ledger.execute(VoidPending(book.tenant.id, hold.id))
    assert available(ledger, book, book.alice) == 10000
    with pytest.raises(errors.HoldAlreadyResolved):
        ledger.execute(PostPending(book.tenant.id, hold.id))
    with pytest.raises(errors.HoldAlreadyResolved):
        ledger.execute(VoidPending(book.tenant.id, hold.id))
    assert ledger.get_transfer(book.tenant.id, hold.id).status is TransferStatus.VOIDED


def test_posting_more_than_the_hold_is_refused(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "100.00")
    hold = ledger.execute(pay(book, "20.00", pending=True)).transfer
    with pytest.raises(errors.PostExceedsHold):
        ledger.execute(PostPending(book.tenant.id, hold.id, Decimal("20.01")))
    with pytest.raises(errors.TransferNotPending):
        ledger.execute(
            PostPending(book.tenant.id, ledger.entries(book.tenant.id, book.alice)[0].transfer_id)
        )


def test_a_hold_with_a_timeout_expires_and_cannot_be_posted_after(
    ledger: Ledger, book: Book, clock: ManualClock
) -> None:
    top_up(ledger, book, book.alice, "100.00")
    hold = ledger.execute(
        CreateTransfer(
            book.tenant.id,
            book.alice,
            book.revenue,
            Decimal("30"),
            book.currency,
            TransferType.WITHDRAWAL,
            pending=True,
            timeout_seconds=60,
        )
    ).transfer
    clock.advance(59)
    assert ledger.execute(ExpireDueHolds(book.tenant.id)).transfers == ()
    clock.advance(1)
    with pytest.raises(errors.HoldExpired):
        ledger.execute(PostPending(book.tenant.id, hold.id))
    expired = ledger.execute(ExpireDueHolds(book.tenant.id)).transfers
    assert [t.pending_id for t in expired] == [hold.id]
    assert available(ledger, book, book.alice) == 10000
    with pytest.raises(errors.HoldExpired):
        ledger.execute(VoidPending(book.tenant.id, hold.id))


def test_a_reversal_restores_both_sides_once(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "100.00")
    purchase = ledger.execute(pay(book, "30.00")).transfer
    reversal = ledger.execute(ReverseTransfer(book.tenant.id, purchase.id, note="refund")).transfer

    assert reversal.type is TransferType.REVERSAL and reversal.reversal_of_id == purchase.id
    assert (reversal.debit_account_id, reversal.credit_account_id) == (book.revenue, book.alice)
    assert available(ledger, book, book.alice) == 10000
    assert available(ledger, book, book.revenue) == 0
    with pytest.raises(errors.AlreadyReversed):
        ledger.execute(ReverseTransfer(book.tenant.id, purchase.id))
    with pytest.raises(errors.TransferNotReversible):
        ledger.execute(ReverseTransfer(book.tenant.id, reversal.id))
    assert ledger.verify().ok


def test_a_reversal_the_customer_cannot_afford_is_refused(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "50.00")
    gift = ledger.execute(
        CreateTransfer(
            book.tenant.id,
            book.alice,
            book.bob,
            Decimal("50"),
            book.currency,
            TransferType.ALLOCATION,
        )
    ).transfer
    ledger.execute(
        CreateTransfer(
            book.tenant.id,
            book.bob,
            book.revenue,
            Decimal("20"),
            book.currency,
            TransferType.ORDER_PAYMENT,
        )
    )
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(ReverseTransfer(book.tenant.id, gift.id))
    assert available(ledger, book, book.bob) == 3000


def test_a_batch_with_one_bad_transfer_moves_nothing(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "100.00")
    batch = TransferBatch(
        book.tenant.id,
        (
            CreateTransfer(
                book.tenant.id,
                book.alice,
                book.bob,
                Decimal("10"),
                book.currency,
                TransferType.ALLOCATION,
            ),
            CreateTransfer(
                book.tenant.id,
                book.alice,
                book.revenue,
                Decimal("95"),
                book.currency,
                TransferType.ORDER_PAYMENT,
            ),
        ),
    )
    with pytest.raises(errors.BatchFailed) as refused:
        ledger.execute(batch)
    assert refused.value.index == 1
    assert isinstance(refused.value.cause, errors.InsufficientFunds)
    assert refused.value.field == "transfers[1].amount"
    assert available(ledger, book, book.alice) == 10000
    assert available(ledger, book, book.bob) == 0
    assert len(ledger.entries(book.tenant.id, book.alice)) == 1


def test_a_good_batch_applies_every_transfer_and_replays_as_a_whole(
    ledger: Ledger, book: Book
) -> None:
    top_up(ledger, book, book.alice, "100.00")
    allocations = TransferBatch(
        book.tenant.id,
        tuple(
            CreateTransfer(
                book.tenant.id,
                book.alice,
                book.bob,
                Decimal("10"),
                book.currency,
                TransferType.ALLOCATION,
            )
            for _ in range(10)
        ),
        idempotency_key="allocate-all",
    )

    result = ledger.execute(allocations)
    replay = ledger.execute(allocations)

    assert len(result.transfers) == 10
    assert available(ledger, book, book.alice) == 0
    assert [e.balance_after for e in ledger.entries(book.tenant.id, book.bob)] == list(
        range(1000, 10001, 1000)
    )
    assert replay.replayed and [t.id for t in replay.transfers] == [t.id for t in result.transfers]


def test_a_retried_key_returns_the_first_result_and_moves_nothing(
    ledger: Ledger, book: Book
) -> None:
    top_up(ledger, book, book.alice, "100.00")
    first = ledger.execute(pay(book, "10.00", key="order-1"))
    again = ledger.execute(pay(book, "10.0", key="order-1"))

    assert not first.replayed and again.replayed
    assert again.transfer == first.transfer
    assert available(ledger, book, book.alice) == 9000


def test_a_reused_key_with_other_content_is_a_conflict(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "100.00")
    ledger.execute(pay(book, "10.00", key="order-1"))
    with pytest.raises(errors.IdempotencyConflict):
        ledger.execute(pay(book, "11.00", key="order-1"))
    assert available(ledger, book, book.alice) == 9000


def test_a_refused_command_does_not_claim_its_key(ledger: Ledger, book: Book) -> None:
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(pay(book, "10.00", key="order-1"))
    top_up(ledger, book, book.alice, "10.00")
    assert not ledger.execute(pay(book, "10.00", key="order-1")).replayed


def test_idempotency_keys_are_scoped_to_the_tenant(ledger: Ledger, book: Book) -> None:
    other = open_book(ledger)
    top_up(ledger, book, book.alice, "10.00")
    top_up(ledger, other, other.alice, "10.00")
    ledger.execute(pay(book, "1.00", key="same"))
    assert not ledger.execute(pay(other, "1.00", key="same")).replayed


@pytest.mark.parametrize(
    ("amount", "error"),
    [("0", errors.InvalidAmount), ("-1", errors.InvalidAmount), ("1.001", errors.InvalidAmount)],
)
def test_amounts_that_are_not_positive_exact_money_are_refused(
    ledger: Ledger, book: Book, amount: str, error: type[errors.LedgerError]
) -> None:
    with pytest.raises(error):
        ledger.execute(
            CreateTransfer(
                book.tenant.id,
                book.world,
                book.alice,
                Decimal(amount),
                book.currency,
                TransferType.TOPUP,
            )
        )
    assert available(ledger, book, book.alice) == 0


def test_three_decimal_usd_keeps_every_thousandth(ledger: Ledger) -> None:
    book = open_book(ledger, "USD", 3)
    top_up(ledger, book, book.alice, "10.000")
    ledger.execute(
        CreateTransfer(
            book.tenant.id,
            book.alice,
            book.revenue,
            Decimal("5.175"),
            "USD",
            TransferType.ORDER_PAYMENT,
        )
    )
    assert available(ledger, book, book.alice) == 4825


def test_unknown_currency_and_foreign_accounts_are_refused(ledger: Ledger, book: Book) -> None:
    other = open_book(ledger)
    with pytest.raises(errors.UnknownCurrency):
        ledger.execute(
            CreateTransfer(
                book.tenant.id, book.world, book.alice, Decimal(1), "EUR", TransferType.TOPUP
            )
        )
    with pytest.raises(errors.AccountNotFound) as refused:
        ledger.execute(
            CreateTransfer(
                book.tenant.id, book.world, other.alice, Decimal(1), "CNY", TransferType.TOPUP
            )
        )
    assert refused.value.field == "credit_account_id"
    with pytest.raises(errors.SameAccount):
        ledger.execute(
            CreateTransfer(
                book.tenant.id, book.alice, book.alice, Decimal(1), "CNY", TransferType.ADJUSTMENT
            )
        )
    with pytest.raises(errors.TransferNotFound):
        ledger.execute(
            ReverseTransfer(other.tenant.id, ledger.execute(pay_from_world(book)).transfer.id)
        )


def pay_from_world(book: Book) -> CreateTransfer:
    return CreateTransfer(
        book.tenant.id, book.world, book.alice, Decimal(1), book.currency, TransferType.TOPUP
    )


def test_a_frozen_account_accepts_credits_but_refuses_debits(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "50.00")
    ledger.freeze(book.tenant.id, book.alice)
    top_up(ledger, book, book.alice, "10.00")
    with pytest.raises(errors.AccountFrozen):
        ledger.execute(pay(book, "1.00"))
    with pytest.raises(errors.AccountFrozen):
        ledger.execute(pay(book, "1.00", pending=True))
    ledger.unfreeze(book.tenant.id, book.alice)
    ledger.execute(pay(book, "1.00"))
    assert available(ledger, book, book.alice) == 5900


def test_an_account_closes_only_when_empty_and_then_refuses_everything(
    ledger: Ledger, book: Book
) -> None:
    top_up(ledger, book, book.alice, "5.00")
    with pytest.raises(errors.AccountNotEmpty):
        ledger.close_account(book.tenant.id, book.alice)
    ledger.execute(pay(book, "5.00"))
    closed = ledger.close_account(book.tenant.id, book.alice)
    assert closed.status.value == "closed"
    with pytest.raises(errors.AccountClosed):
        top_up(ledger, book, book.alice, "1.00")
    with pytest.raises(errors.AccountClosed):
        ledger.unfreeze(book.tenant.id, book.alice)


def test_a_credit_limit_lets_a_customer_spend_below_zero(ledger: Ledger, book: Book) -> None:
    ledger.set_credit_limit(book.tenant.id, book.alice, book.currency, Decimal("20.00"))
    ledger.execute(pay(book, "15.00"))
    balance = ledger.balance(book.tenant.id, book.alice, book.currency)
    assert (balance.posted, balance.available) == (-1500, 500)
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(pay(book, "5.01"))
    with pytest.raises(errors.InsufficientFunds):
        ledger.set_credit_limit(book.tenant.id, book.alice, book.currency, Decimal("14.99"))
    assert ledger.verify().ok


def test_a_refused_transfer_writes_no_balance_row(ledger: Ledger, book: Book) -> None:
    ledger.configure_currency(book.tenant.id, "USD", 2)
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(
            CreateTransfer(
                book.tenant.id, book.alice, book.bob, Decimal(1), "USD", TransferType.ALLOCATION
            )
        )
    assert [b.currency for b in ledger.balances(book.tenant.id, book.alice)] == []
    assert ledger.configure_currency(book.tenant.id, "USD", 3).decimals == 3


def test_a_system_account_moves_only_its_own_currency(ledger: Ledger, book: Book) -> None:
    ledger.configure_currency(book.tenant.id, "EUR")
    with pytest.raises(errors.ValidationError) as refused:
        ledger.execute(
            CreateTransfer(
                book.tenant.id, book.world, book.alice, Decimal(1), "EUR", TransferType.TOPUP
            )
        )
    assert refused.value.field == "debit_account_id"


def test_a_reversal_keeps_the_original_note_unless_given_one(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.alice, "10.00")
    purchase = ledger.execute(pay(book, "1.00")).transfer
    reversal = ledger.execute(ReverseTransfer(book.tenant.id, purchase.id)).transfer
    assert reversal.references.order_number == "ORD-1"
    hold = ledger.execute(pay(book, "1.00", pending=True)).transfer
    with pytest.raises(errors.ValidationError) as refused:
        ledger.execute(VoidPending(book.tenant.id, hold.id, operator="x" * 129))
    assert refused.value.field == "operator"
    assert ledger.balance(book.tenant.id, book.alice, book.currency).held == 100


def test_configuring_a_currency_again_keeps_its_decimals(ledger: Ledger) -> None:
    tenant = ledger.create_tenant("Shop")
    ledger.configure_currency(tenant.id, "USD", 3)
    assert ledger.configure_currency(tenant.id, "USD").decimals == 3


def test_a_posted_hold_is_reversed_through_the_transfer_that_posted_it(
    ledger: Ledger, book: Book
) -> None:
    top_up(ledger, book, book.alice, "100.00")
    hold = ledger.execute(pay(book, "40.00", pending=True)).transfer
    posting = ledger.execute(PostPending(book.tenant.id, hold.id, Decimal("25.00"))).transfer
    with pytest.raises(errors.TransferNotReversible):
        ledger.execute(ReverseTransfer(book.tenant.id, hold.id))

    reversal = ledger.execute(ReverseTransfer(book.tenant.id, posting.id)).transfer

    assert (reversal.reversal_of_id, reversal.pending_id, reversal.amount) == (
        posting.id,
        None,
        2500,
    )
    assert available(ledger, book, book.alice) == 10000
    assert ledger.verify().ok
