"""The wallet flows' exactly-once races, through four engines on one database (SQLite and
PostgreSQL), each followed by a clean `verify`."""

from __future__ import annotations

import random
from decimal import Decimal
from uuid import UUID

from tallybook.ledger import Ledger, errors
from tallybook.ledger.accounts import AccountChanges
from tallybook.ledger.queries import MAX_PAGE_SIZE, TransferQuery, Window
from tallybook.model import TransferStatus, TransferType
from tallybook.wallet import orders, topups, withdrawals
from tallybook.wallet.errors import InvalidState, RefundExceedsCharge
from tallybook.wallet.withdrawals import WithdrawalAction
from tallybook.wallet_model import TopUpStatus, WithdrawalStatus
from tests.concurrency.workers import ENGINES, run_together
from tests.support import open_book, top_up


def assert_clean(ledger: Ledger) -> None:
    report = ledger.verify()
    assert report.ok, report.render()


def credits_to(ledger: Ledger, tenant_id: UUID, account_id: UUID) -> int:
    return sum(1 for entry in ledger.entries(tenant_id, account_id) if entry.amount > 0)


def test_five_concurrent_confirmations_credit_once(ledgers: list[Ledger]) -> None:
    first = ledgers[0]
    book = open_book(first)
    topup = topups.create(first, book.tenant.id, book.alice, Decimal(88), "CNY", "alipay").record

    results = run_together(
        5,
        lambda n: topups.confirm(
            ledgers[n % ENGINES], book.tenant.id, topup.id, "ALI-PAID-1", operator=f"admin-{n}"
        ),
    )

    assert {r.record.status for r in results} == {TopUpStatus.SUCCEEDED}
    assert len({r.record.receipt_id for r in results}) == 1
    assert sum(len(r.transfers) for r in results) == 1
    assert first.balance(book.tenant.id, book.alice, "CNY").posted == 8800
    assert credits_to(first, book.tenant.id, book.alice) == 1
    assert_clean(first)


def test_concurrent_confirmations_with_different_references_one_wins(
    ledgers: list[Ledger],
) -> None:
    first = ledgers[0]
    book = open_book(first)
    topup = topups.create(first, book.tenant.id, book.alice, Decimal(10), "CNY", "card").record

    def confirm(number: int) -> bool:
        try:
            topups.confirm(ledgers[number % ENGINES], book.tenant.id, topup.id, f"CARD-{number}")
        except InvalidState as refused:
            assert refused.current_state == "succeeded"
            return False
        return True

    assert sum(run_together(5, confirm)) == 1
    assert first.balance(book.tenant.id, book.alice, "CNY").posted == 1000
    assert_clean(first)


def test_concurrent_approvals_one_wins(ledgers: list[Ledger]) -> None:
    first = ledgers[0]
    book = open_book(first)
    top_up(first, book, book.alice, "100.00")
    withdrawal = withdrawals.create(
        first, book.tenant.id, book.alice, Decimal(60), "CNY", destination={"alipay": "a@x"}
    ).record

    def approve(number: int) -> bool:
        try:
            withdrawals.move(
                ledgers[number % ENGINES],
                book.tenant.id,
                withdrawal.id,
                WithdrawalAction.APPROVE,
                operator=f"admin-{number}",
            )
        except InvalidState as refused:
            assert refused.current_state == "approved"
            return False
        return True

    assert sum(run_together(8, approve)) == 1
    approved = withdrawals.get(first, book.tenant.id, withdrawal.id)
    assert approved.status is WithdrawalStatus.APPROVED
    assert first.balance(book.tenant.id, book.alice, "CNY").held == 6000
    assert_clean(first)


def test_racing_pay_and_fail_resolve_the_hold_once(ledgers: list[Ledger]) -> None:
    first = ledgers[0]
    book = open_book(first)
    top_up(first, book, book.alice, "100.00")
    withdrawal = withdrawals.create(
        first, book.tenant.id, book.alice, Decimal(60), "CNY", destination={"bank": "x"}
    ).record
    withdrawals.move(first, book.tenant.id, withdrawal.id, WithdrawalAction.APPROVE)

    def decide(number: int) -> WithdrawalStatus | None:
        action = WithdrawalAction.PAY if number % 2 else WithdrawalAction.FAIL
        try:
            return withdrawals.move(
                ledgers[number % ENGINES],
                book.tenant.id,
                withdrawal.id,
                action,
                reason="bank refused",
                payout_reference=f"PAY-{number}",
            ).record.status
        except InvalidState:
            return None

    decided = [status for status in run_together(6, decide) if status is not None]

    assert len(decided) == 1
    balance = first.balance(book.tenant.id, book.alice, "CNY")
    assert balance.held == 0
    assert balance.posted == (4000 if decided[0] is WithdrawalStatus.PAID else 10000)
    assert_clean(first)


def test_edits_of_a_pending_withdrawal_race_order_charges_on_its_account(
    ledgers: list[Ledger],
) -> None:
    first = ledgers[0]
    book = open_book(first)
    first.update_account(book.tenant.id, book.alice, AccountChanges(payout_profile={"a": 1}))
    top_up(first, book, book.alice, "1000.00")
    withdrawal = withdrawals.create(first, book.tenant.id, book.alice, Decimal(100), "CNY").record

    def edit(number: int) -> int:
        randomness = random.Random(number)
        accepted = 0
        for _ in range(15):
            amount = Decimal(randomness.randint(1, 700))
            try:
                withdrawals.edit(
                    ledgers[number % ENGINES], book.tenant.id, withdrawal.id, amount=amount
                )
                accepted += 1
            except errors.InsufficientFunds:
                pass
        return accepted

    def charge(number: int) -> int:
        randomness = random.Random(1000 + number)
        charged = 0
        for index in range(15):
            amount = randomness.randint(1, 80)
            try:
                orders.charge(
                    ledgers[number % ENGINES],
                    book.tenant.id,
                    book.alice,
                    f"ORD-{number}-{index}",
                    "Game credits",
                    Decimal(amount),
                    "CNY",
                )
                charged += amount * 100
            except errors.InsufficientFunds:
                pass
        return charged

    outcomes = run_together(8, lambda n: edit(n) if n % 2 else -charge(n))

    assert sum(o for o in outcomes if o > 0) > 0  # some edits went through
    charged = -sum(o for o in outcomes if o <= 0)
    final = withdrawals.get(first, book.tenant.id, withdrawal.id)
    balance = first.balance(book.tenant.id, book.alice, "CNY")
    assert balance.posted == 100000 - charged
    assert balance.held == final.amount
    assert balance.available >= 0
    query = TransferQuery(
        tenant_id=book.tenant.id,
        account_ids=frozenset({book.alice}),
        type=TransferType.WITHDRAWAL,
        status=TransferStatus.PENDING,
    )
    open_holds = first.list_transfers(query, Window(limit=MAX_PAGE_SIZE)).items
    assert [hold.id for hold in open_holds] == [final.payout_hold_id]
    assert_clean(first)


def test_concurrent_refunds_never_pass_the_charge(ledgers: list[Ledger]) -> None:
    first = ledgers[0]
    book = open_book(first)
    top_up(first, book, book.alice, "100.00")
    order = orders.charge(
        first, book.tenant.id, book.alice, "ORD-1", "Concert ticket", Decimal(100), "CNY"
    ).record

    def refund(number: int) -> bool:
        try:
            orders.refund(ledgers[number % ENGINES], book.tenant.id, order.id, amount=Decimal(15))
        except (RefundExceedsCharge, InvalidState):
            return False
        return True

    assert sum(run_together(10, refund)) == 6  # 6 x 15.00 of 100.00
    refunded = orders.get(first, book.tenant.id, order.id)
    assert refunded.refunded == 9000
    assert first.balance(book.tenant.id, book.alice, "CNY").posted == 9000
    assert_clean(first)


def test_concurrent_top_ups_and_withdrawals_take_distinct_numbers(ledgers: list[Ledger]) -> None:
    first = ledgers[0]
    book = open_book(first)
    top_up(first, book, book.alice, "100.00")

    def request(number: int) -> int:
        engine = ledgers[number % ENGINES]
        if number % 2:
            return withdrawals.create(
                engine, book.tenant.id, book.alice, Decimal(1), "CNY", destination={"alipay": "a"}
            ).record.number
        return topups.create(
            engine, book.tenant.id, book.bob, Decimal(1), "CNY", "card"
        ).record.number

    numbers = run_together(20, request)

    assert sorted(numbers[0::2]) == list(range(1, 11))  # the top-ups
    assert sorted(numbers[1::2]) == list(range(1, 11))  # the withdrawals
    assert_clean(first)
