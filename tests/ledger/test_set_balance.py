"""Setting a balance by hand: an adjustment transfer for the difference, never an overwrite."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from tallybook.ledger import CreateTransfer, Ledger, SetBalance, errors
from tallybook.model import References, SystemAccount, TransferType
from tests.support import Book, available, open_book, top_up

CONCURRENT_REQUESTS = 6


def set_to(
    book: Book, amount: str, *, account: str = "alice", key: str | None = None
) -> SetBalance:
    return SetBalance(
        book.tenant.id,
        getattr(book, account),
        book.world,
        book.currency,
        Decimal(amount),
        References(note="Corrected by finance", operator="finance@example.com"),
        idempotency_key=key,
    )


def test_raising_a_balance_is_an_adjustment_from_world(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "40.00")

    adjustment = ledger.execute(set_to(book, "100.00")).transfer

    assert (adjustment.debit_account_id, adjustment.credit_account_id) == (book.world, book.alice)
    assert adjustment.type is TransferType.ADJUSTMENT and adjustment.amount == 6000
    assert adjustment.references.operator == "finance@example.com"
    last = ledger.entries(book.tenant.id, book.alice)[-1]
    assert (last.balance_before, last.amount, last.balance_after) == (4000, 6000, 10000)


def test_lowering_a_balance_is_an_adjustment_to_world(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "40.00")

    adjustment = ledger.execute(set_to(book, "15.50")).transfer

    assert (adjustment.debit_account_id, adjustment.credit_account_id) == (book.alice, book.world)
    assert adjustment.amount == 2450
    assert available(ledger, book, book.alice) == 1550
    assert [e.amount for e in ledger.entries(book.tenant.id, book.alice)] == [4000, -2450]


def test_a_balance_already_at_its_target_writes_nothing(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "40.00")

    result = ledger.execute(set_to(book, "40.0"))

    assert result.transfers == ()
    assert len(ledger.entries(book.tenant.id, book.alice)) == 1


def test_the_balance_set_is_what_is_left_after_holds(ledger: Ledger) -> None:
    """A pending payout keeps its hold: the wallet shows 70 of 100, and setting it to 70
    changes nothing; setting it to 80 adds 10."""
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    ledger.execute(
        CreateTransfer(
            book.tenant.id,
            book.alice,
            book.world,
            Decimal("30.00"),
            "CNY",
            TransferType.WITHDRAWAL,
            pending=True,
        )
    )
    assert ledger.execute(set_to(book, "70.00")).transfers == ()
    assert ledger.execute(set_to(book, "80.00")).transfer.amount == 1000
    balance = ledger.balance(book.tenant.id, book.alice, "CNY")
    assert (balance.posted, balance.held) == (11000, 3000)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("-1.00", errors.InvalidAmount),
        ("1.001", errors.InvalidAmount),
        ("NaN", errors.InvalidAmount),
    ],
)
def test_a_target_must_be_an_exact_amount_of_zero_or_more(
    ledger: Ledger, target: str, error: type[errors.LedgerError]
) -> None:
    book = open_book(ledger)
    with pytest.raises(error) as refused:
        ledger.execute(set_to(book, target))
    assert refused.value.field == "target"


def test_setting_to_zero_takes_everything_out(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "12.34")
    assert ledger.execute(set_to(book, "0")).transfer.amount == 1234
    assert available(ledger, book, book.alice) == 0


def test_a_frozen_account_can_be_raised_but_not_lowered(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "10.00")
    ledger.freeze(book.tenant.id, book.alice)
    with pytest.raises(errors.AccountFrozen):
        ledger.execute(set_to(book, "5.00"))
    assert ledger.execute(set_to(book, "15.00")).transfer.amount == 500


def test_only_a_customer_account_is_set_and_only_against_world(ledger: Ledger) -> None:
    book = open_book(ledger)
    with pytest.raises(errors.ValidationError) as refused:
        ledger.execute(set_to(book, "5.00", account="revenue"))
    assert refused.value.field == "account_id"
    with pytest.raises(errors.ValidationError) as refused:
        ledger.execute(SetBalance(book.tenant.id, book.alice, book.revenue, "CNY", Decimal("5.00")))
    assert refused.value.field == "world_account_id"
    with pytest.raises(errors.ValidationError):
        ledger.execute(SetBalance(book.tenant.id, book.alice, book.bob, "CNY", Decimal("5.00")))
    with pytest.raises(errors.UnknownCurrency):
        ledger.execute(SetBalance(book.tenant.id, book.alice, book.world, "EUR", Decimal("5")))


def test_another_tenant_cannot_set_a_balance(ledger: Ledger) -> None:
    book = open_book(ledger)
    stranger = ledger.create_tenant("Stranger")
    ledger.configure_currency(stranger.id, "CNY")
    with pytest.raises(errors.AccountNotFound):
        ledger.execute(SetBalance(stranger.id, book.alice, book.world, "CNY", Decimal("5.00")))


def test_a_retry_with_its_key_answers_the_first_adjustment(ledger: Ledger) -> None:
    book = open_book(ledger)
    first = ledger.execute(set_to(book, "50.00", key="set-1"))
    top_up(ledger, book, book.alice, "1.00")
    again = ledger.execute(set_to(book, "50.00", key="set-1"))
    assert again.replayed and again.transfer.id == first.transfer.id
    assert available(ledger, book, book.alice) == 5100
    with pytest.raises(errors.IdempotencyConflict):
        ledger.execute(set_to(book, "60.00", key="set-1"))


def test_concurrent_requests_for_one_target_adjust_once(ledger: Ledger) -> None:
    """The difference is taken under the balance lock: six operators setting 100 at once
    leave one adjustment, not six."""
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "20.00")
    barrier = threading.Barrier(CONCURRENT_REQUESTS)

    def operator(_: int) -> int:
        barrier.wait()
        return len(ledger.execute(set_to(book, "100.00")).transfers)

    with ThreadPoolExecutor(max_workers=CONCURRENT_REQUESTS) as pool:
        written = list(pool.map(operator, range(CONCURRENT_REQUESTS)))

    assert sorted(written) == [0] * (CONCURRENT_REQUESTS - 1) + [1]
    assert available(ledger, book, book.alice) == 10000
    world = ledger.system_account(book.tenant.id, SystemAccount.WORLD, "CNY")
    assert ledger.balance(book.tenant.id, world.id, "CNY").posted == -10000
    assert ledger.verify().ok
