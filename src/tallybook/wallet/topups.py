"""Top-ups: money coming in through a payment channel (balance in, recharge orders).

    pending --confirm--> succeeded   (world -> account posted once, receipt id assigned)
    pending --fail-----> failed
    pending --expire---> expired     (its expiry passed; the server's expirer writes it)

A top-up is created `pending` with an expiry (the tenant's setting, 30 minutes by default). It
is confirmed by an admin key with the channel's payment reference, or by the channel's signed
callback (`callbacks`). Each transition is a step of the posting engine: the credit and the
new state commit together, and a top-up is credited once however many confirmations race.

Confirming a succeeded top-up again with the same payment reference changes nothing and
answers it as it is (channels resend callbacks until they are acknowledged); with another
reference, or confirming a failed or expired one, is `InvalidState` naming its state. A
pending top-up past its expiry counts as expired at once, before the expirer writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from tallybook.ledger import Ledger, errors
from tallybook.ledger.ids import new_id
from tallybook.ledger.limits import (
    MAX_NOTE_LENGTH,
    MAX_REFERENCE_LENGTH,
    check_metadata,
    check_text,
)
from tallybook.ledger.queries import CountedPage, Page, Slice, Window
from tallybook.ledger.steps import (
    BalanceRef,
    RecordBook,
    RecordKey,
    RecordStore,
    Step,
    StepResult,
    StepWork,
)
from tallybook.model import References, SystemAccount, TransferType
from tallybook.storage import topups_repository
from tallybook.storage.topups_repository import TOPUPS
from tallybook.wallet import receipts
from tallybook.wallet.errors import InvalidState, TopUpExpired, TopUpNotFound
from tallybook.wallet.reads import read, read_one
from tallybook.wallet.settings import get_settings, require_channel
from tallybook.wallet_model import (
    DEFAULT_TOPUP_EXPIRY_SECONDS,
    ConfirmedVia,
    TopUp,
    TopUpQuery,
    TopUpStatus,
)

EXPIRE_BATCH_LIMIT = 1000


def topup_key(tenant_id: UUID, topup_id: UUID) -> RecordKey:
    return RecordKey(TOPUPS.kind, tenant_id, str(topup_id))


class _TopUpStep(Step[TopUp]):
    __slots__ = ()

    @property
    def subject_store(self) -> RecordStore:
        return TOPUPS

    def stores(self) -> Sequence[RecordStore]:
        return (TOPUPS,)

    def subject_key(self, subject: TopUp) -> RecordKey:
        return topup_key(subject.tenant_id, subject.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ExistingTopUpStep(_TopUpStep):
    """A step on a top-up that exists: it locks it first."""

    tenant_id: UUID
    topup_id: UUID
    # Set by a callback: the top-up must be one of that channel's.
    channel: str | None = None
    idempotency_key: str | None = None

    def records(self, now: datetime) -> Sequence[RecordKey]:
        return (topup_key(self.tenant_id, self.topup_id),)

    def footprint(self, book: RecordBook) -> Iterable[BalanceRef]:
        return ()

    def _topup(self, work: StepWork) -> TopUp:
        topup = work.get(topup_key(self.tenant_id, self.topup_id), TopUp)
        if topup is None or (self.channel is not None and topup.channel != self.channel):
            raise TopUpNotFound(self.topup_id)
        return topup


def _require_pending(topup: TopUp, now: datetime, action: str) -> None:
    status = topup.status_at(now)
    if status is TopUpStatus.EXPIRED:
        raise TopUpExpired(topup.id, action)
    if status is not TopUpStatus.PENDING:
        raise InvalidState("top-up", topup.id, status.value, action)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTopUp(_TopUpStep):
    """A new pending top-up. Refused with: AccountNotFound (or a system account),
    AccountClosed, UnknownCurrency, InvalidAmount, ValidationError (`topup_id` taken)."""

    tenant_id: UUID
    account_id: UUID
    amount: Decimal
    currency: str
    channel: str
    note: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    # An id the caller chose, so that it can queue the confirmation behind the creation
    # without waiting for it (the demo does); None: a new one.
    topup_id: UUID | None = None
    expiry_seconds: int = DEFAULT_TOPUP_EXPIRY_SECONDS
    resolved_fields = frozenset({"expiry_seconds"})

    def records(self, now: datetime) -> Sequence[RecordKey]:
        return () if self.topup_id is None else (topup_key(self.tenant_id, self.topup_id),)

    def footprint(self, book: RecordBook) -> Iterable[BalanceRef]:
        # Locks the account, to check it, and makes sure the currency is the tenant's.
        yield self.tenant_id, self.account_id, self.currency

    def apply(self, work: StepWork) -> TopUp:
        work.customer_account(self.tenant_id, self.account_id, "account_id")
        topup_id = self.topup_id or new_id()
        if work.get(topup_key(self.tenant_id, topup_id), TopUp) is not None:
            raise errors.ValidationError(f"top-up {topup_id} already exists", field="topup_id")
        topup = TopUp(
            id=topup_id,
            tenant_id=self.tenant_id,
            account_id=self.account_id,
            amount=work.minor_units(self.tenant_id, self.currency, self.amount),
            currency=self.currency,
            channel=self.channel,
            status=TopUpStatus.PENDING,
            note=self.note,
            metadata=self.metadata,
            external_reference=None,
            receipt_id=None,
            transfer_id=None,
            failure_reason=None,
            confirmed_via=None,
            operator=None,
            created_at=work.now,
            expires_at=work.now + timedelta(seconds=self.expiry_seconds),
            updated_at=work.now,
            number=work.next_number(TOPUPS, self.tenant_id),
        )
        work.put(self.subject_key(topup), topup)
        return topup


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmTopUp(_ExistingTopUpStep):
    """Mark a top-up paid and credit it from `world`. Refused with: TopUpNotFound,
    TopUpExpired, InvalidState (failed, or succeeded with another reference), AccountClosed."""

    external_reference: str
    via: ConfirmedVia
    note: str | None = None
    operator: str | None = None
    # A top-up's account and currency never change: the use case reads them before the step
    # (the top-up may even be created earlier in the same batch, after the records' locks).
    account_id: UUID
    currency: str
    world_account_id: UUID
    resolved_fields = frozenset({"account_id", "currency", "world_account_id"})

    def footprint(self, book: RecordBook) -> Iterable[BalanceRef]:
        yield self.tenant_id, self.account_id, self.currency
        yield self.tenant_id, self.world_account_id, self.currency

    def apply(self, work: StepWork) -> TopUp:
        topup = self._topup(work)
        if (topup.account_id, topup.currency) != (self.account_id, self.currency):
            raise TopUpNotFound(self.topup_id)
        if (
            topup.status is TopUpStatus.SUCCEEDED
            and topup.external_reference == self.external_reference
        ):
            return topup  # the same confirmation again: it was credited once, and stays so
        _require_pending(topup, work.now, "confirmed")
        receipt_id = receipts.new_receipt_id(receipts.TOPUP)
        credit = work.transfer(
            self.tenant_id,
            self.world_account_id,
            topup.account_id,
            topup.amount,
            topup.currency,
            References(
                receipt_id=receipt_id,
                channel=topup.channel,
                note=self.note or topup.note,
                operator=self.operator,
                metadata={
                    "topup_id": str(topup.id),
                    "external_reference": self.external_reference,
                },
            ),
            type=TransferType.TOPUP,
        )
        confirmed = replace(
            topup,
            status=TopUpStatus.SUCCEEDED,
            external_reference=self.external_reference,
            receipt_id=receipt_id,
            transfer_id=credit.id,
            confirmed_via=self.via,
            operator=self.operator,
            updated_at=work.now,
        )
        work.put(self.subject_key(confirmed), confirmed)
        return confirmed


@dataclass(frozen=True, slots=True, kw_only=True)
class FailTopUp(_ExistingTopUpStep):
    """Mark a pending top-up failed; failing a failed one again changes nothing. Refused
    with: TopUpNotFound, TopUpExpired, InvalidState (succeeded)."""

    reason: str | None = None
    operator: str | None = None

    def apply(self, work: StepWork) -> TopUp:
        topup = self._topup(work)
        if topup.status is TopUpStatus.FAILED:
            return topup
        _require_pending(topup, work.now, "failed")
        failed = replace(
            topup,
            status=TopUpStatus.FAILED,
            failure_reason=self.reason,
            operator=self.operator,
            updated_at=work.now,
        )
        work.put(self.subject_key(failed), failed)
        return failed


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireTopUp(_ExistingTopUpStep):
    """Write `expired` on a pending top-up past its expiry (the expirer's step). Refused
    with: TopUpNotFound, InvalidState (not pending, or not due yet)."""

    def apply(self, work: StepWork) -> TopUp:
        topup = self._topup(work)
        if topup.status_at(work.now) is not TopUpStatus.EXPIRED or (
            topup.status is not TopUpStatus.PENDING
        ):
            raise InvalidState("top-up", topup.id, topup.status_at(work.now).value, "expired")
        expired = replace(topup, status=TopUpStatus.EXPIRED, updated_at=work.now)
        work.put(self.subject_key(expired), expired)
        return expired


# -- use cases ----------------------------------------------------------------------------------


def create(
    ledger: Ledger,
    tenant_id: UUID,
    account_id: UUID,
    amount: Decimal,
    currency: str,
    channel: str,
    *,
    note: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> StepResult[TopUp]:
    """A pending top-up expiring after the tenant's `topup_expiry_seconds`.

    Raises what `CreateTopUp` raises, and ValidationError for an unknown channel, a long
    note, or metadata that is not small plain JSON.
    """
    require_channel(ledger, tenant_id, channel)
    check_text(note, "note", MAX_NOTE_LENGTH)
    check_metadata(dict(metadata or {}))
    step = CreateTopUp(
        tenant_id=tenant_id,
        account_id=account_id,
        amount=amount,
        currency=currency,
        channel=channel,
        note=note,
        metadata=dict(metadata or {}),
        idempotency_key=idempotency_key,
        expiry_seconds=get_settings(ledger, tenant_id).topup_expiry_seconds,
    )
    return ledger.run(step)


def confirm(
    ledger: Ledger,
    tenant_id: UUID,
    topup_id: UUID,
    external_reference: str,
    *,
    via: ConfirmedVia = ConfirmedVia.API,
    channel: str | None = None,
    note: str | None = None,
    operator: str | None = None,
    idempotency_key: str | None = None,
) -> StepResult[TopUp]:
    """Confirm a top-up was paid (see `ConfirmTopUp`); `channel` limits it to that channel's
    top-ups (a callback). Raises ValidationError for an empty or long reference."""
    if not 1 <= len(external_reference) <= MAX_REFERENCE_LENGTH:
        raise errors.ValidationError(
            f"an external reference is 1 to {MAX_REFERENCE_LENGTH} characters",
            field="external_reference",
        )
    topup = get(ledger, tenant_id, topup_id)
    world = ledger.system_account(tenant_id, SystemAccount.WORLD, topup.currency)
    step = ConfirmTopUp(
        tenant_id=tenant_id,
        topup_id=topup_id,
        external_reference=external_reference,
        via=via,
        channel=channel,
        note=note,
        operator=operator,
        idempotency_key=idempotency_key,
        account_id=topup.account_id,
        currency=topup.currency,
        world_account_id=world.id,
    )
    return ledger.run(step)


def fail(
    ledger: Ledger,
    tenant_id: UUID,
    topup_id: UUID,
    *,
    reason: str | None = None,
    channel: str | None = None,
    operator: str | None = None,
    idempotency_key: str | None = None,
) -> StepResult[TopUp]:
    """Mark a top-up failed (see `FailTopUp`). Raises ValidationError for a long reason."""
    check_text(reason, "reason", MAX_NOTE_LENGTH)
    step = FailTopUp(
        tenant_id=tenant_id,
        topup_id=topup_id,
        reason=reason,
        channel=channel,
        operator=operator,
        idempotency_key=idempotency_key,
    )
    return ledger.run(step)


def get(ledger: Ledger, tenant_id: UUID, topup_id: UUID) -> TopUp:
    return read_one(
        ledger, lambda c: topups_repository.get(c, tenant_id, topup_id), TopUpNotFound(topup_id)
    )


def get_by_number(ledger: Ledger, tenant_id: UUID, number: int) -> TopUp:
    """The tenant's top-up with this number (the DRF seed's pk). Raises TopUpNotFound."""
    return read_one(
        ledger,
        lambda c: topups_repository.get_by_number(c, tenant_id, number),
        TopUpNotFound(number),
    )


def slice_of(ledger: Ledger, query: TopUpQuery, window: Slice) -> CountedPage[TopUp]:
    """A counted slice of the top-ups in number order (the seed APIs' page numbers)."""
    now = ledger.clock.now()
    return read(ledger, lambda c: topups_repository.slice_topups(c, query, window, now))


def list_page(ledger: Ledger, query: TopUpQuery, window: Window[UUID]) -> Page[TopUp, UUID]:
    return read(
        ledger, lambda c: topups_repository.list_topups(c, query, window, ledger.clock.now())
    )


def expire_due(ledger: Ledger, limit: int = EXPIRE_BATCH_LIMIT) -> int:
    """Write `expired` on pending top-ups past their expiry (up to `limit`); returns how many.

    Several servers may run it at once: a top-up confirmed or expired meanwhile is refused by
    its step and skipped.
    """
    due = read(ledger, lambda c: topups_repository.due(c, ledger.clock.now(), limit))
    futures: list[Future[StepResult[TopUp]]] = [
        ledger.submit_step(ExpireTopUp(tenant_id=topup.tenant_id, topup_id=topup.id))
        for topup in due
    ]
    expired = 0
    for future in futures:
        try:
            ledger.engine.result_of(future)
        except InvalidState:
            continue
        expired += 1
    return expired
