"""Top-ups: every transition of pending -> succeeded | failed | expired, and every refusal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from tallybook.ledger import Ledger, errors
from tallybook.ledger.queries import Window
from tallybook.model import SystemAccount, TransferType
from tallybook.wallet import settings, topups
from tallybook.wallet.errors import InvalidState, TopUpExpired, TopUpNotFound
from tallybook.wallet.topups import CreateTopUp, ExpireTopUp
from tallybook.wallet_model import ConfirmedVia, TopUpQuery, TopUpStatus
from tests.support import Book, ManualClock, available, open_book


@pytest.fixture
def book(ledger: Ledger) -> Book:
    return open_book(ledger)


def start(ledger: Ledger, book: Book, amount: str = "100.00", channel: str = "alipay") -> UUID:
    return topups.create(
        ledger, book.tenant.id, book.alice, Decimal(amount), "CNY", channel
    ).record.id


def test_a_new_top_up_is_pending_and_moves_nothing(ledger: Ledger, book: Book) -> None:
    result = topups.create(
        ledger, book.tenant.id, book.alice, Decimal("100.00"), "CNY", "wechat", note="first"
    )

    topup = result.record
    assert topup.status is TopUpStatus.PENDING
    assert topup.amount == 10000
    assert topup.channel == "wechat"
    assert topup.expires_at - topup.created_at == timedelta(minutes=30)
    assert topup.receipt_id is None and topup.transfer_id is None
    assert result.transfers == ()
    assert available(ledger, book, book.alice) == 0


def test_the_tenant_sets_how_long_a_top_up_waits(ledger: Ledger, book: Book) -> None:
    settings.update_settings(
        ledger, book.tenant.id, settings.SettingsChange(topup_expiry_seconds=600)
    )

    topup = topups.get(ledger, book.tenant.id, start(ledger, book))

    assert topup.expires_at - topup.created_at == timedelta(minutes=10)


def test_confirming_credits_world_to_account_once_with_a_receipt(
    ledger: Ledger, book: Book
) -> None:
    topup_id = start(ledger, book)

    confirmed = topups.confirm(ledger, book.tenant.id, topup_id, "ALI-2026-1", operator="ops")

    topup = confirmed.record
    assert topup.status is TopUpStatus.SUCCEEDED
    assert topup.external_reference == "ALI-2026-1"
    assert topup.confirmed_via is ConfirmedVia.API
    assert topup.receipt_id is not None and topup.receipt_id.startswith("TU-")
    (credit,) = confirmed.transfers
    assert credit.id == topup.transfer_id
    assert (credit.debit_account_id, credit.credit_account_id) == (book.world, book.alice)
    assert credit.type is TransferType.TOPUP
    assert credit.references.receipt_id == topup.receipt_id
    assert credit.references.channel == "alipay"
    assert credit.references.metadata["external_reference"] == "ALI-2026-1"
    assert available(ledger, book, book.alice) == 10000


def test_the_same_confirmation_again_credits_nothing_more(ledger: Ledger, book: Book) -> None:
    topup_id = start(ledger, book)
    first = topups.confirm(ledger, book.tenant.id, topup_id, "ALI-1").record

    again = topups.confirm(ledger, book.tenant.id, topup_id, "ALI-1", via=ConfirmedVia.CALLBACK)

    assert again.record == first
    assert again.transfers == ()
    assert available(ledger, book, book.alice) == 10000


def test_a_confirmation_with_another_reference_is_refused(ledger: Ledger, book: Book) -> None:
    topup_id = start(ledger, book)
    topups.confirm(ledger, book.tenant.id, topup_id, "ALI-1")

    with pytest.raises(InvalidState) as refused:
        topups.confirm(ledger, book.tenant.id, topup_id, "ALI-2")

    assert refused.value.current_state == "succeeded"
    assert available(ledger, book, book.alice) == 10000


def test_a_failed_top_up_cannot_be_confirmed(ledger: Ledger, book: Book) -> None:
    topup_id = start(ledger, book)

    failed = topups.fail(ledger, book.tenant.id, topup_id, reason="card declined").record
    assert failed.status is TopUpStatus.FAILED
    assert failed.failure_reason == "card declined"
    assert topups.fail(ledger, book.tenant.id, topup_id).record == failed  # again: no change

    with pytest.raises(InvalidState) as refused:
        topups.confirm(ledger, book.tenant.id, topup_id, "ALI-1")
    assert refused.value.current_state == "failed"
    assert available(ledger, book, book.alice) == 0


def test_a_succeeded_top_up_cannot_fail(ledger: Ledger, book: Book) -> None:
    topup_id = start(ledger, book)
    topups.confirm(ledger, book.tenant.id, topup_id, "ALI-1")

    with pytest.raises(InvalidState) as refused:
        topups.fail(ledger, book.tenant.id, topup_id)

    assert refused.value.current_state == "succeeded"


def test_past_its_expiry_a_top_up_is_expired_and_refuses_confirmation(
    ledger: Ledger, book: Book, clock: ManualClock
) -> None:
    topup_id = start(ledger, book)
    clock.advance(30 * 60)

    with pytest.raises(TopUpExpired) as refused:
        topups.confirm(ledger, book.tenant.id, topup_id, "ALI-late")
    assert refused.value.current_state == "expired"
    with pytest.raises(TopUpExpired):
        topups.fail(ledger, book.tenant.id, topup_id)
    stored = topups.get(ledger, book.tenant.id, topup_id)
    assert stored.status is TopUpStatus.PENDING  # the expirer has not written it yet...
    assert stored.status_at(clock.now()) is TopUpStatus.EXPIRED  # ...but it reads as expired

    assert topups.expire_due(ledger) == 1
    assert topups.get(ledger, book.tenant.id, topup_id).status is TopUpStatus.EXPIRED
    assert topups.expire_due(ledger) == 0
    assert available(ledger, book, book.alice) == 0


def test_the_expirer_leaves_top_ups_that_are_not_due(
    ledger: Ledger, book: Book, clock: ManualClock
) -> None:
    due = start(ledger, book)
    clock.advance(29 * 60)
    waiting = start(ledger, book)
    clock.advance(60)

    assert topups.expire_due(ledger) == 1

    assert topups.get(ledger, book.tenant.id, due).status is TopUpStatus.EXPIRED
    assert topups.get(ledger, book.tenant.id, waiting).status is TopUpStatus.PENDING


def test_a_top_up_must_name_a_known_channel(ledger: Ledger, book: Book) -> None:
    with pytest.raises(errors.ValidationError) as refused:
        start(ledger, book, channel="paypal")
    assert refused.value.field == "channel"

    settings.configure_channel(ledger, book.tenant.id, "paypal")
    topup = topups.create(ledger, book.tenant.id, book.alice, Decimal(1), "CNY", "paypal")
    assert topup.record.channel == "paypal"


@pytest.mark.parametrize(
    ("account", "amount", "currency", "error"),
    [
        ("unknown", "1.00", "CNY", errors.AccountNotFound),
        ("world", "1.00", "CNY", errors.AccountNotFound),
        ("alice", "1.001", "CNY", errors.InvalidAmount),
        ("alice", "0", "CNY", errors.InvalidAmount),
        ("alice", "1.00", "EUR", errors.UnknownCurrency),
    ],
)
def test_a_top_up_that_can_never_be_paid_is_refused_and_nothing_is_kept(
    ledger: Ledger,
    book: Book,
    account: str,
    amount: str,
    currency: str,
    error: type[errors.LedgerError],
) -> None:
    account_id = {"unknown": uuid4(), "world": book.world, "alice": book.alice}[account]

    with pytest.raises(error):
        topups.create(ledger, book.tenant.id, account_id, Decimal(amount), currency, "card")

    page = topups.list_page(ledger, TopUpQuery(tenant_id=book.tenant.id), Window())
    assert list(page.items) == []


def test_a_closed_account_takes_no_top_up(ledger: Ledger, book: Book) -> None:
    ledger.close_account(book.tenant.id, book.bob)

    with pytest.raises(errors.AccountClosed):
        topups.create(ledger, book.tenant.id, book.bob, Decimal(1), "CNY", "card")


def test_another_tenants_top_up_does_not_exist(ledger: Ledger, book: Book) -> None:
    topup_id = start(ledger, book)
    other = open_book(ledger)

    with pytest.raises(TopUpNotFound):
        topups.get(ledger, other.tenant.id, topup_id)
    with pytest.raises(TopUpNotFound):
        topups.confirm(ledger, other.tenant.id, topup_id, "ALI-1")


def test_a_callback_confirms_only_its_own_channels_top_ups(ledger: Ledger, book: Book) -> None:
    topup_id = start(ledger, book)

    with pytest.raises(TopUpNotFound):
        topups.confirm(
            ledger, book.tenant.id, topup_id, "WX-1", via=ConfirmedVia.CALLBACK, channel="wechat"
        )
    confirmed = topups.confirm(
        ledger, book.tenant.id, topup_id, "ALI-1", via=ConfirmedVia.CALLBACK, channel="alipay"
    )
    assert confirmed.record.confirmed_via is ConfirmedVia.CALLBACK


def test_an_idempotency_key_replays_the_first_request_and_refuses_another(
    ledger: Ledger, book: Book
) -> None:
    first = topups.create(
        ledger, book.tenant.id, book.alice, Decimal("5"), "CNY", "card", idempotency_key="t-1"
    )
    again = topups.create(
        ledger, book.tenant.id, book.alice, Decimal("5.00"), "CNY", "card", idempotency_key="t-1"
    )
    assert again.replayed and again.record.id == first.record.id

    with pytest.raises(errors.IdempotencyConflict):
        topups.create(
            ledger, book.tenant.id, book.alice, Decimal("6"), "CNY", "card", idempotency_key="t-1"
        )
    with pytest.raises(errors.IdempotencyConflict):  # the same key on another kind of request
        topups.confirm(ledger, book.tenant.id, first.record.id, "X", idempotency_key="t-1")


def test_the_list_filters_by_status_as_readers_see_it(
    ledger: Ledger, book: Book, clock: ManualClock
) -> None:
    paid = start(ledger, book)
    topups.confirm(ledger, book.tenant.id, paid, "ALI-1")
    late = start(ledger, book)
    clock.advance(31 * 60)
    fresh = topups.create(ledger, book.tenant.id, book.bob, Decimal(1), "CNY", "card").record.id

    def listed(**filters: object) -> list[UUID]:
        query = TopUpQuery(tenant_id=book.tenant.id, **filters)  # type: ignore[arg-type]
        return [t.id for t in topups.list_page(ledger, query, Window()).items]

    assert listed(status=TopUpStatus.EXPIRED) == [late]
    assert listed(status=TopUpStatus.PENDING) == [fresh]
    assert listed(status=TopUpStatus.SUCCEEDED) == [paid]
    assert listed(channel="card") == [fresh]
    assert listed(account_id=book.alice) == [late, paid]
    assert listed(created_from=clock.now()) == [fresh]
    world = ledger.system_account(book.tenant.id, SystemAccount.WORLD, "CNY")
    assert ledger.balance(book.tenant.id, world.id, "CNY").posted == -10000
    assert ledger.verify().ok


def test_only_a_pending_top_up_past_its_expiry_can_be_expired(
    ledger: Ledger, book: Book, clock: ManualClock
) -> None:
    waiting = start(ledger, book)
    paid = start(ledger, book)
    topups.confirm(ledger, book.tenant.id, paid, "ALI-1")
    clock.advance(3600)

    with pytest.raises(InvalidState) as refused:
        ledger.run(ExpireTopUp(tenant_id=book.tenant.id, topup_id=paid))
    assert refused.value.current_state == "succeeded"
    fresh = start(ledger, book)
    with pytest.raises(InvalidState) as not_due:
        ledger.run(ExpireTopUp(tenant_id=book.tenant.id, topup_id=fresh))
    assert not_due.value.current_state == "pending"
    expired = ledger.run(ExpireTopUp(tenant_id=book.tenant.id, topup_id=waiting)).record
    assert expired.status is TopUpStatus.EXPIRED
    with pytest.raises(InvalidState):
        ledger.run(ExpireTopUp(tenant_id=book.tenant.id, topup_id=waiting))


def test_a_chosen_top_up_id_is_used_once(ledger: Ledger, book: Book) -> None:
    chosen = uuid4()
    step = CreateTopUp(
        tenant_id=book.tenant.id,
        account_id=book.alice,
        amount=Decimal(1),
        currency="CNY",
        channel="card",
        topup_id=chosen,
    )

    assert ledger.run(step).record.id == chosen
    with pytest.raises(errors.ValidationError) as refused:
        ledger.run(step)
    assert refused.value.field == "topup_id"
