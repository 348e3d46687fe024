"""Steps in the engine's batches: several steps on one record in one transaction see each
other's changes, a refused step leaves nothing behind, and a key claimed earlier in the batch
replays. The batch is built by hand here (the engine's own `_run_batch`), so that the commands
really share one transaction whatever the timing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tallybook.ledger import Ledger, errors
from tallybook.ledger.accounts import AccountChanges
from tallybook.ledger.decimals_in_use import DecimalsInUse
from tallybook.ledger.engine import Outcome, Work, _run_batch
from tallybook.ledger.steps import StepResult
from tallybook.model import SystemAccount, TransferStatus
from tallybook.wallet import topups, withdrawals
from tallybook.wallet.errors import InvalidState
from tallybook.wallet.topups import ConfirmTopUp
from tallybook.wallet.withdrawals import EditWithdrawal, MoveWithdrawal, WithdrawalAction
from tallybook.wallet_model import ConfirmedVia, TopUpStatus, WithdrawalStatus
from tests.support import Book, available, open_book, top_up


@pytest.fixture
def book(ledger: Ledger) -> Book:
    book = open_book(ledger)
    ledger.update_account(book.tenant.id, book.alice, AccountChanges(payout_profile={"a": 1}))
    top_up(ledger, book, book.alice, "100.00")
    return book


def one_batch(ledger: Ledger, batch: list[Work]) -> list[Outcome]:
    with ledger.database.write() as connection:
        outcomes, _lock_seconds = _run_batch(
            connection, batch, ledger.clock, decimals_in_use=DecimalsInUse()
        )
    return outcomes


def record_of(outcome: Outcome) -> Any:
    assert isinstance(outcome, StepResult), outcome
    return outcome.record


def test_five_confirmations_in_one_batch_credit_once(ledger: Ledger, book: Book) -> None:
    topup = topups.create(ledger, book.tenant.id, book.bob, Decimal(50), "CNY", "alipay").record
    world = ledger.system_account(book.tenant.id, SystemAccount.WORLD, "CNY").id
    confirmations: list[Work] = [
        ConfirmTopUp(
            tenant_id=book.tenant.id,
            topup_id=topup.id,
            external_reference=f"ALI-{n}",
            via=ConfirmedVia.API,
            account_id=book.bob,
            currency="CNY",
            world_account_id=world,
        )
        for n in range(5)
    ]

    outcomes = one_batch(ledger, confirmations)

    assert record_of(outcomes[0]).status is TopUpStatus.SUCCEEDED
    assert all(isinstance(o, InvalidState) for o in outcomes[1:])
    assert available(ledger, book, book.bob) == 5000
    assert topups.get(ledger, book.tenant.id, topup.id).external_reference == "ALI-0"
    assert ledger.verify().ok


def test_edits_and_a_cancel_in_one_batch_follow_each_others_holds(
    ledger: Ledger, book: Book
) -> None:
    withdrawal = withdrawals.create(ledger, book.tenant.id, book.alice, Decimal(10), "CNY").record
    policy = withdrawals.policy_for(ledger, book.tenant.id, "CNY")
    same: dict[str, Any] = {
        "tenant_id": book.tenant.id,
        "withdrawal_id": withdrawal.id,
        "policy": policy,
        "account_id": book.alice,
        "currency": "CNY",
        "day": withdrawal.day,
    }

    outcomes = one_batch(
        ledger,
        [
            EditWithdrawal(amount=Decimal(20), **same),
            EditWithdrawal(amount=Decimal(30), **same),
            MoveWithdrawal(action=WithdrawalAction.CANCEL, **same),
        ],
    )

    first, second, cancelled = (record_of(o) for o in outcomes)
    assert first.payout_hold_id != second.payout_hold_id != withdrawal.payout_hold_id
    assert cancelled.status is WithdrawalStatus.CANCELLED
    assert cancelled.payout_hold_id == second.payout_hold_id
    # The first two holds were placed and released within the batch: written once, released.
    for hold_id in (withdrawal.payout_hold_id, first.payout_hold_id, second.payout_hold_id):
        assert ledger.get_transfer(book.tenant.id, hold_id).status is TransferStatus.VOIDED
    assert ledger.balance(book.tenant.id, book.alice, "CNY").held == 0
    assert withdrawals.get(ledger, book.tenant.id, withdrawal.id) == cancelled
    assert ledger.verify().ok


def test_a_refused_step_leaves_the_batch_as_if_it_was_not_sent(ledger: Ledger, book: Book) -> None:
    withdrawal = withdrawals.create(ledger, book.tenant.id, book.alice, Decimal(10), "CNY").record
    same: dict[str, Any] = {
        "tenant_id": book.tenant.id,
        "withdrawal_id": withdrawal.id,
        "policy": withdrawals.policy_for(ledger, book.tenant.id, "CNY"),
        "account_id": book.alice,
        "currency": "CNY",
        "day": withdrawal.day,
    }

    outcomes = one_batch(
        ledger,
        [
            EditWithdrawal(amount=Decimal("100.01"), **same),  # voids, then cannot hold: refused
            EditWithdrawal(amount=Decimal(40), **same),
        ],
    )

    assert isinstance(outcomes[0], errors.InsufficientFunds)
    edited = record_of(outcomes[1])
    assert edited.amount == 4000
    voided = ledger.get_transfer(book.tenant.id, withdrawal.payout_hold_id)
    assert voided.status.value == "voided"  # voided once, by the edit that succeeded
    assert ledger.balance(book.tenant.id, book.alice, "CNY").held == 4000
    assert ledger.verify().ok


def test_a_key_claimed_earlier_in_the_batch_replays(ledger: Ledger, book: Book) -> None:
    withdrawal = withdrawals.create(ledger, book.tenant.id, book.alice, Decimal(10), "CNY").record
    approve = MoveWithdrawal(
        tenant_id=book.tenant.id,
        withdrawal_id=withdrawal.id,
        action=WithdrawalAction.APPROVE,
        idempotency_key="approve-1",
        policy=withdrawals.policy_for(ledger, book.tenant.id, "CNY"),
        account_id=book.alice,
        currency="CNY",
        day=withdrawal.day,
    )

    first, again = one_batch(ledger, [approve, approve])

    assert isinstance(first, StepResult) and not first.replayed
    assert isinstance(again, StepResult) and again.replayed
    assert again.record == first.record
    replayed_later = ledger.run(approve)
    assert replayed_later.replayed and replayed_later.record == first.record
