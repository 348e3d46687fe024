"""A wallet flow's transfers change only through the flow: a raw post, void or reversal of a
withdrawal's hold, an order's payment or a top-up's credit is refused, so the record and its
money never disagree (a hold voided behind a withdrawal's back could be paid out twice)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tallybook.api.app import create_app
from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger, PostPending, ReverseTransfer, VoidPending, errors
from tallybook.model import Role, TransferStatus
from tallybook.wallet import orders, topups, withdrawals
from tallybook.wallet.withdrawals import WithdrawalAction
from tallybook.wallet_model import OrderStatus, Withdrawal, WithdrawalStatus
from tests.support import Book, available, open_book, top_up


def alice_withdraws_60_of_100(ledger: Ledger) -> tuple[Book, Withdrawal]:
    """Alice has 100.00 CNY and asks to withdraw 60.00: held, pending review."""
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    withdrawal = withdrawals.create(
        ledger, book.tenant.id, book.alice, Decimal(60), "CNY", destination={"alipay": "a@x"}
    ).record
    return book, withdrawal


def test_a_withdrawals_hold_cannot_be_voided_or_posted_from_outside(ledger: Ledger) -> None:
    book, withdrawal = alice_withdraws_60_of_100(ledger)

    with pytest.raises(errors.TransferOwnedByFlow) as voided:
        ledger.execute(VoidPending(book.tenant.id, withdrawal.payout_hold_id))
    with pytest.raises(errors.TransferOwnedByFlow):
        ledger.execute(PostPending(book.tenant.id, withdrawal.payout_hold_id))

    assert voided.value.details["flow"] == "withdrawal"
    assert voided.value.field == "pending_id"
    assert available(ledger, book, book.alice) == 4000
    cancelled = withdrawals.move(ledger, book.tenant.id, withdrawal.id, WithdrawalAction.CANCEL)
    assert cancelled.record.status is WithdrawalStatus.CANCELLED
    assert available(ledger, book, book.alice) == 10000


def test_another_tenants_flow_transfer_is_not_found_not_named(ledger: Ledger) -> None:
    """The refusal names the flow, so it is only for the transfer's own tenant: to anyone
    else the hold does not exist."""
    book, withdrawal = alice_withdraws_60_of_100(ledger)
    stranger = open_book(ledger)

    for command in (
        VoidPending(stranger.tenant.id, withdrawal.payout_hold_id),
        PostPending(stranger.tenant.id, withdrawal.payout_hold_id),
        ReverseTransfer(stranger.tenant.id, withdrawal.payout_hold_id),
    ):
        with pytest.raises(errors.TransferNotFound):
            ledger.execute(command)
    assert available(ledger, book, book.alice) == 4000


def test_a_paid_withdrawal_cannot_be_reversed_from_outside(ledger: Ledger) -> None:
    book, withdrawal = alice_withdraws_60_of_100(ledger)
    withdrawals.move(ledger, book.tenant.id, withdrawal.id, WithdrawalAction.APPROVE)
    paid = withdrawals.move(
        ledger, book.tenant.id, withdrawal.id, WithdrawalAction.PAY, payout_reference="PAY-1"
    )
    payout = next(t for t in paid.transfers if t.status is TransferStatus.POSTED)

    with pytest.raises(errors.TransferOwnedByFlow):
        ledger.execute(ReverseTransfer(book.tenant.id, payout.id))

    assert ledger.balance(book.tenant.id, book.alice, "CNY").posted == 4000


def test_an_order_payment_is_refunded_through_the_order_not_reversed(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    order = orders.charge(
        ledger, book.tenant.id, book.alice, "ORD-1", "Two books", Decimal(10), "CNY"
    ).record

    with pytest.raises(errors.TransferOwnedByFlow):
        ledger.execute(ReverseTransfer(book.tenant.id, order.payment_transfer_id))
    refunded = orders.refund(ledger, book.tenant.id, order.id).record

    assert refunded.status is OrderStatus.REFUNDED
    assert available(ledger, book, book.alice) == 10000
    with pytest.raises(errors.TransferOwnedByFlow):
        ledger.execute(ReverseTransfer(book.tenant.id, refunded.refunds[0].transfer_id))


def test_a_top_up_credit_cannot_be_reversed_behind_the_top_up(ledger: Ledger) -> None:
    book = open_book(ledger)
    created = topups.create(ledger, book.tenant.id, book.alice, Decimal(50), "CNY", "alipay")
    confirmed = topups.confirm(ledger, book.tenant.id, created.record.id, "ALI-1").record
    assert confirmed.transfer_id is not None

    with pytest.raises(errors.TransferOwnedByFlow):
        ledger.execute(ReverseTransfer(book.tenant.id, confirmed.transfer_id))

    assert available(ledger, book, book.alice) == 5000


def test_the_transfers_api_answers_409_naming_the_flow(ledger: Ledger) -> None:
    book, withdrawal = alice_withdraws_60_of_100(ledger)
    owner_key = issue_key(ledger, book.tenant.id, "alice", Role.WRITE, book.alice)[1]

    with TestClient(create_app(ledger=ledger)) as client:
        answer = client.post(
            f"/v1/transfers/{withdrawal.payout_hold_id}/void",
            headers={"Authorization": f"Bearer {owner_key}"},
        )

    assert answer.status_code == 409
    assert answer.json()["code"] == "transfer_owned_by_flow"
    assert answer.json()["field"] == "pending_id"
    assert withdrawals.get(ledger, book.tenant.id, withdrawal.id).status is WithdrawalStatus.PENDING
