"""Withdrawals: the hold from the request on, every transition of the review, every refusal,
fees, the minimum and the daily maximum."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import pytest

from tallybook.ledger import ExpireDueHolds, Ledger, errors
from tallybook.ledger.accounts import AccountChanges
from tallybook.model import SystemAccount, TransferStatus, TransferType
from tallybook.wallet import settings, withdrawals
from tallybook.wallet.errors import BelowMinimum, DailyLimitExceeded, InvalidState
from tallybook.wallet.withdrawals import WithdrawalAction
from tallybook.wallet_model import Withdrawal, WithdrawalStatus
from tests.support import Book, ManualClock, available, open_book, top_up

ALIPAY = {"alipay": "alice@example.com", "full_name": "Alice Chen"}


@pytest.fixture
def book(ledger: Ledger) -> Book:
    book = open_book(ledger)
    ledger.update_account(book.tenant.id, book.alice, AccountChanges(payout_profile=ALIPAY))
    top_up(ledger, book, book.alice, "100.00")
    return book


def request(ledger: Ledger, book: Book, amount: str = "30.00", **options: object) -> Withdrawal:
    return withdrawals.create(
        ledger,
        book.tenant.id,
        book.alice,
        Decimal(amount),
        "CNY",
        **options,  # type: ignore[arg-type]
    ).record


def move(
    ledger: Ledger, book: Book, withdrawal: Withdrawal, action: WithdrawalAction
) -> Withdrawal:
    return withdrawals.move(
        ledger,
        book.tenant.id,
        withdrawal.id,
        action,
        reason="checked",
        payout_reference="PAYOUT-1",
        operator="finance",
    ).record


def held(ledger: Ledger, book: Book) -> int:
    return ledger.balance(book.tenant.id, book.alice, "CNY").held


def status_of(ledger: Ledger, book: Book, hold_id: UUID | None) -> TransferStatus:
    assert hold_id is not None
    return ledger.get_transfer(book.tenant.id, hold_id).status


def charge_fees(ledger: Ledger, book: Book, **rules: str) -> None:
    fee_percent = rules.pop("percent", "0")
    settings.update_settings(
        ledger,
        book.tenant.id,
        settings.SettingsChange(
            withdrawal_fee_percent=Decimal(fee_percent),
            withdrawal_rules={
                "CNY": settings.RulesChange(
                    **{name: Decimal(value) for name, value in rules.items()}
                )
            },
        ),
    )


def test_a_request_holds_the_amount_at_once_and_copies_the_payout_profile(
    ledger: Ledger, book: Book
) -> None:
    withdrawal = request(ledger, book, "30.00", channel="alipay", note="rent")
    ledger.update_account(book.tenant.id, book.alice, AccountChanges(payout_profile={"x": 1}))

    assert withdrawal.status is WithdrawalStatus.PENDING
    assert (withdrawal.amount, withdrawal.fee, withdrawal.payout) == (3000, 0, 3000)
    assert withdrawal.destination == ALIPAY
    assert withdrawal.receipt_id.startswith("WD-")
    assert withdrawals.get(ledger, book.tenant.id, withdrawal.id).destination == ALIPAY
    assert held(ledger, book) == 3000
    assert available(ledger, book, book.alice) == 7000
    hold = ledger.get_transfer(book.tenant.id, withdrawal.payout_hold_id)
    assert (hold.status, hold.type, hold.credit_account_id) == (
        TransferStatus.PENDING,
        TransferType.WITHDRAWAL,
        book.world,
    )
    assert hold.expires_at is None  # waits for its review however long it takes


def test_a_destination_given_replaces_the_profile(ledger: Ledger, book: Book) -> None:
    bank = {"bank": "ICBC", "account_number": "6222000011112222", "full_name": "Alice Chen"}

    assert request(ledger, book, destination=bank).destination == bank


def test_without_a_destination_or_payout_profile_it_is_refused(ledger: Ledger, book: Book) -> None:
    top_up(ledger, book, book.bob, "10.00")

    with pytest.raises(errors.ValidationError) as refused:
        withdrawals.create(ledger, book.tenant.id, book.bob, Decimal(5), "CNY")

    assert refused.value.field == "destination"
    assert ledger.balance(book.tenant.id, book.bob, "CNY").held == 0


def test_more_than_is_available_is_refused_and_nothing_is_held(ledger: Ledger, book: Book) -> None:
    with pytest.raises(errors.InsufficientFunds):
        request(ledger, book, "100.01")

    assert held(ledger, book) == 0


def test_a_frozen_account_cannot_ask_for_a_withdrawal(ledger: Ledger, book: Book) -> None:
    ledger.freeze(book.tenant.id, book.alice)

    with pytest.raises(errors.AccountFrozen):
        request(ledger, book)


def test_the_fee_comes_out_of_the_amount_and_is_held_for_fees(ledger: Ledger, book: Book) -> None:
    charge_fees(ledger, book, fee_fixed="1.00", percent="0.6")

    withdrawal = request(ledger, book, "50.00")

    assert (withdrawal.amount, withdrawal.fee, withdrawal.payout) == (5000, 130, 4870)
    assert held(ledger, book) == 5000
    fee_hold = ledger.get_transfer(book.tenant.id, withdrawal.fee_hold_id)  # type: ignore[arg-type]
    fees = ledger.system_account(book.tenant.id, SystemAccount.FEES, "CNY")
    assert (fee_hold.type, fee_hold.amount, fee_hold.credit_account_id) == (
        TransferType.FEE,
        130,
        fees.id,
    )


def test_a_percentage_fee_is_rounded_half_up(ledger: Ledger, book: Book) -> None:
    charge_fees(ledger, book, percent="0.5")

    assert request(ledger, book, "0.99").fee == 0  # 0.495 of a fen
    assert request(ledger, book, "1.00").fee == 1  # 0.5 of a fen


def test_below_the_minimum_or_not_covering_the_fee_is_refused(ledger: Ledger, book: Book) -> None:
    charge_fees(ledger, book, minimum="10.00", fee_fixed="2.00")
    with pytest.raises(BelowMinimum, match=r"^the smallest withdrawal is 10\.00 CNY$"):
        request(ledger, book, "9.99")
    assert request(ledger, book, "10.00").payout == 800

    charge_fees(ledger, book, fee_fixed="20.00")
    with pytest.raises(BelowMinimum, match=r"^20\.00 CNY does not cover the fee of 20\.00 CNY$"):
        request(ledger, book, "20.00")


def test_the_daily_maximum_counts_what_was_asked_and_not_released(
    ledger: Ledger, book: Book, clock: ManualClock
) -> None:
    charge_fees(ledger, book, daily_maximum="50.00")
    first = request(ledger, book, "30.00")
    with pytest.raises(DailyLimitExceeded, match=r"50\.00 CNY a day; 30\.00 CNY is already"):
        request(ledger, book, "20.01")
    with pytest.raises(DailyLimitExceeded):
        withdrawals.edit(ledger, book.tenant.id, first.id, amount=Decimal("50.01"))

    move(ledger, book, first, WithdrawalAction.CANCEL)
    second = request(ledger, book, "50.00")  # the cancelled one no longer counts
    with pytest.raises(DailyLimitExceeded):
        request(ledger, book, "0.01")

    clock.advance(24 * 3600)
    move(ledger, book, second, WithdrawalAction.REJECT)
    request(ledger, book, "40.00")  # a new day
    assert held(ledger, book) == 4000


def test_editing_the_amount_replaces_the_hold_in_one_go(ledger: Ledger, book: Book) -> None:
    withdrawal = request(ledger, book, "30.00")

    edited = withdrawals.edit(ledger, book.tenant.id, withdrawal.id, amount=Decimal("80.00"))

    assert edited.record.amount == 8000
    assert held(ledger, book) == 8000
    assert status_of(ledger, book, withdrawal.payout_hold_id) is TransferStatus.VOIDED
    assert status_of(ledger, book, edited.record.payout_hold_id) is TransferStatus.PENDING
    assert ledger.verify().ok


def test_an_edit_beyond_the_balance_leaves_the_old_hold(ledger: Ledger, book: Book) -> None:
    withdrawal = request(ledger, book, "30.00")

    with pytest.raises(errors.InsufficientFunds):
        withdrawals.edit(ledger, book.tenant.id, withdrawal.id, amount=Decimal("100.01"))

    assert withdrawals.get(ledger, book.tenant.id, withdrawal.id) == withdrawal
    assert status_of(ledger, book, withdrawal.payout_hold_id) is TransferStatus.PENDING
    assert held(ledger, book) == 3000


def test_editing_the_destination_moves_nothing(ledger: Ledger, book: Book) -> None:
    withdrawal = request(ledger, book)
    wechat = {"wechat": "alice_c", "full_name": "Alice Chen"}

    edited = withdrawals.edit(ledger, book.tenant.id, withdrawal.id, destination=wechat).record

    assert edited.destination == wechat
    assert edited.payout_hold_id == withdrawal.payout_hold_id
    same = withdrawals.edit(ledger, book.tenant.id, withdrawal.id, amount=Decimal("30.00"))
    assert same.record == edited and same.transfers == ()


def test_paying_posts_the_holds_to_world_and_fees(ledger: Ledger, book: Book) -> None:
    charge_fees(ledger, book, fee_fixed="1.00")
    withdrawal = request(ledger, book, "30.00")
    approved = move(ledger, book, withdrawal, WithdrawalAction.APPROVE)
    assert approved.status is WithdrawalStatus.APPROVED
    assert held(ledger, book) == 3000

    paid = withdrawals.move(
        ledger,
        book.tenant.id,
        withdrawal.id,
        WithdrawalAction.PAY,
        payout_reference="ALIPAY-TRADE-9",
        operator="finance",
    )

    assert paid.record.status is WithdrawalStatus.PAID
    assert paid.record.payout_reference == "ALIPAY-TRADE-9"
    payout, fee = paid.transfers
    assert (payout.amount, payout.credit_account_id, payout.status) == (
        2900,
        book.world,
        TransferStatus.POSTED,
    )
    assert payout.references.metadata["payout_reference"] == "ALIPAY-TRADE-9"
    assert payout.references.receipt_id == withdrawal.receipt_id
    assert fee.amount == 100
    balance = ledger.balance(book.tenant.id, book.alice, "CNY")
    assert (balance.posted, balance.held) == (7000, 0)
    assert ledger.verify().ok


@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        (WithdrawalAction.CANCEL, WithdrawalStatus.CANCELLED),
        (WithdrawalAction.REJECT, WithdrawalStatus.REJECTED),
    ],
)
def test_cancelling_or_rejecting_a_pending_one_releases_the_hold(
    ledger: Ledger, book: Book, action: WithdrawalAction, outcome: WithdrawalStatus
) -> None:
    withdrawal = request(ledger, book)

    moved = move(ledger, book, withdrawal, action)

    assert moved.status is outcome
    assert status_of(ledger, book, withdrawal.payout_hold_id) is TransferStatus.VOIDED
    assert available(ledger, book, book.alice) == 10000


def test_a_failed_payout_releases_the_hold(ledger: Ledger, book: Book) -> None:
    withdrawal = move(ledger, book, request(ledger, book), WithdrawalAction.APPROVE)

    failed = move(ledger, book, withdrawal, WithdrawalAction.FAIL)

    assert (failed.status, failed.reason) == (WithdrawalStatus.FAILED, "checked")
    assert available(ledger, book, book.alice) == 10000


def test_a_rejection_or_failure_needs_a_reason_and_a_payment_its_reference(
    ledger: Ledger, book: Book
) -> None:
    withdrawal = request(ledger, book)
    for action, field in (
        (WithdrawalAction.REJECT, "reason"),
        (WithdrawalAction.FAIL, "reason"),
        (WithdrawalAction.PAY, "payout_reference"),
    ):
        with pytest.raises(errors.ValidationError) as refused:
            withdrawals.move(ledger, book.tenant.id, withdrawal.id, action)
        assert refused.value.field == field


# Every action from every state: allowed where the diagram has an arrow, else a conflict
# naming the state the withdrawal is in.
_STATES: dict[WithdrawalStatus, tuple[WithdrawalAction, ...]] = {
    WithdrawalStatus.PENDING: (),
    WithdrawalStatus.APPROVED: (WithdrawalAction.APPROVE,),
    WithdrawalStatus.PAID: (WithdrawalAction.APPROVE, WithdrawalAction.PAY),
    WithdrawalStatus.REJECTED: (WithdrawalAction.REJECT,),
    WithdrawalStatus.CANCELLED: (WithdrawalAction.CANCEL,),
    WithdrawalStatus.FAILED: (WithdrawalAction.APPROVE, WithdrawalAction.FAIL),
}
_ALLOWED = {
    ("edit", WithdrawalStatus.PENDING),
    (WithdrawalAction.CANCEL, WithdrawalStatus.PENDING),
    (WithdrawalAction.APPROVE, WithdrawalStatus.PENDING),
    (WithdrawalAction.REJECT, WithdrawalStatus.PENDING),
    (WithdrawalAction.PAY, WithdrawalStatus.APPROVED),
    (WithdrawalAction.FAIL, WithdrawalStatus.APPROVED),
}


def _edit(ledger: Ledger, book: Book, withdrawal: Withdrawal) -> Withdrawal:
    return withdrawals.edit(ledger, book.tenant.id, withdrawal.id, amount=Decimal(20)).record


def _action(action: WithdrawalAction) -> Callable[[Ledger, Book, Withdrawal], Withdrawal]:
    return lambda ledger, book, withdrawal: move(ledger, book, withdrawal, action)


@pytest.mark.parametrize("state", list(_STATES))
@pytest.mark.parametrize("action", ["edit", *WithdrawalAction])
def test_every_action_from_every_state(
    ledger: Ledger, book: Book, state: WithdrawalStatus, action: str
) -> None:
    withdrawal = request(ledger, book)
    for step in _STATES[state]:
        withdrawal = move(ledger, book, withdrawal, step)
    assert withdrawal.status is state
    balance_before = ledger.balance(book.tenant.id, book.alice, "CNY")
    act = _edit if action == "edit" else _action(WithdrawalAction(action))

    if (action, state) in _ALLOWED:
        assert act(ledger, book, withdrawal).status is not None
    else:
        with pytest.raises(InvalidState) as refused:
            act(ledger, book, withdrawal)
        assert refused.value.current_state == state.value
        assert refused.value.code == "invalid_state"
        assert ledger.balance(book.tenant.id, book.alice, "CNY") == balance_before
    assert ledger.verify().ok


def test_the_hold_expirer_never_releases_a_withdrawal_hold(
    ledger: Ledger, book: Book, clock: ManualClock
) -> None:
    withdrawal = request(ledger, book)
    clock.advance(400 * 24 * 3600)

    ledger.execute(ExpireDueHolds())

    assert status_of(ledger, book, withdrawal.payout_hold_id) is TransferStatus.PENDING
    assert move(ledger, book, withdrawal, WithdrawalAction.APPROVE).status is (
        WithdrawalStatus.APPROVED
    )


def test_a_frozen_account_is_not_paid_out_until_unfrozen(ledger: Ledger, book: Book) -> None:
    withdrawal = move(ledger, book, request(ledger, book), WithdrawalAction.APPROVE)
    ledger.freeze(book.tenant.id, book.alice)

    with pytest.raises(errors.AccountFrozen):
        move(ledger, book, withdrawal, WithdrawalAction.PAY)
    assert withdrawals.get(ledger, book.tenant.id, withdrawal.id).status is (
        WithdrawalStatus.APPROVED
    )

    ledger.unfreeze(book.tenant.id, book.alice)
    assert move(ledger, book, withdrawal, WithdrawalAction.PAY).status is WithdrawalStatus.PAID


def test_a_retried_edit_replays_and_a_reused_key_conflicts(ledger: Ledger, book: Book) -> None:
    withdrawal = request(ledger, book)
    edit = withdrawals.edit(
        ledger, book.tenant.id, withdrawal.id, amount=Decimal(40), idempotency_key="e-1"
    )
    again = withdrawals.edit(
        ledger, book.tenant.id, withdrawal.id, amount=Decimal("40.0"), idempotency_key="e-1"
    )

    assert again.replayed and again.record == edit.record
    assert held(ledger, book) == 4000
    with pytest.raises(errors.IdempotencyConflict):
        withdrawals.edit(
            ledger, book.tenant.id, withdrawal.id, amount=Decimal(41), idempotency_key="e-1"
        )
