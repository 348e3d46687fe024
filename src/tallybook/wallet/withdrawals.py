"""Withdrawals: money going out to a payout destination, after review (balance out).

    pending --edit------> pending     (amount: the holds are replaced; destination: new snapshot)
    pending --cancel----> cancelled   (owner; holds voided)
    pending --approve---> approved    (admin)
    pending --reject----> rejected    (admin, with a reason; holds voided)
    approved --pay------> paid        (admin, with the payout reference; holds posted)
    approved --fail-----> failed      (admin, with a reason; holds voided)

The amount is held from the moment of the request: a hold `account -> world` of the payout
and, when the tenant charges a fee, a hold `account -> fees` of the fee (the fee comes out of
the amount: the balance goes down by `amount`, the destination gets `amount - fee`). The
holds have no timeout: a withdrawal waits for its review however long it takes, and the
server's hold expirer never releases them behind its back.

Every transition is a step of the posting engine, so the new state and its money commit
together, and two racing transitions of one withdrawal are applied one after the other: two
concurrent approvals, one wins and the other is `InvalidState` naming `approved`.

The tenant's rules per currency: a fixed fee and a percentage (rounded half up to the minor
unit), a minimum amount, and a daily maximum per account: the amounts an account asked for
on one local day (the tenant's time zone), less those cancelled, rejected or failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

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
from tallybook.storage import withdrawals_repository
from tallybook.storage.withdrawals_repository import (
    WITHDRAWAL_DAY_TOTALS,
    WITHDRAWALS,
    day_total_name,
)
from tallybook.wallet import receipts
from tallybook.wallet.errors import (
    BelowMinimum,
    DailyLimitExceeded,
    InvalidState,
    WithdrawalNotFound,
)
from tallybook.wallet.reads import read, read_one
from tallybook.wallet.settings import get_settings, require_channel
from tallybook.wallet_model import (
    SortKey,
    Withdrawal,
    WithdrawalDayTotal,
    WithdrawalQuery,
    WithdrawalStatus,
)

BASIS_POINTS_PER_WHOLE = 10_000


@dataclass(frozen=True, slots=True)
class WithdrawalPolicy:
    """The tenant's rules for one currency and the system accounts a withdrawal moves money
    to, resolved by the use case when the request comes in (minor units)."""

    world_account_id: UUID
    fees_account_id: UUID
    time_zone: str
    fee_fixed: int = 0
    fee_basis_points: int = 0
    minimum: int = 0
    daily_maximum: int | None = None

    def fee(self, amount: int) -> int:
        """The fixed fee plus the percentage of `amount`, rounded half up."""
        half = BASIS_POINTS_PER_WHOLE // 2
        return self.fee_fixed + (amount * self.fee_basis_points + half) // BASIS_POINTS_PER_WHOLE

    def day(self, moment: datetime) -> str:
        """The tenant's local date of `moment`: the day a request counts against."""
        return moment.astimezone(ZoneInfo(self.time_zone)).date().isoformat()


def withdrawal_key(tenant_id: UUID, withdrawal_id: UUID) -> RecordKey:
    return RecordKey(WITHDRAWALS.kind, tenant_id, str(withdrawal_id))


def day_key(tenant_id: UUID, account_id: UUID, currency: str, day: str) -> RecordKey:
    return RecordKey(
        WITHDRAWAL_DAY_TOTALS.kind, tenant_id, day_total_name(account_id, currency, day)
    )


class _WithdrawalStep(Step[Withdrawal]):
    __slots__ = ()
    policy: WithdrawalPolicy

    @property
    def subject_store(self) -> RecordStore:
        return WITHDRAWALS

    def stores(self) -> Sequence[RecordStore]:
        return (WITHDRAWALS, WITHDRAWAL_DAY_TOTALS)

    def subject_key(self, subject: Withdrawal) -> RecordKey:
        return withdrawal_key(subject.tenant_id, subject.id)

    def _balances(self, account_id: UUID, currency: str) -> Iterable[BalanceRef]:
        for account in (account_id, self.policy.world_account_id, self.policy.fees_account_id):
            yield self.tenant_id, account, currency

    def _check_amount(self, work: StepWork, currency: str, amount: int, fee: int) -> None:
        def money(minor: int) -> str:
            return work.money(self.tenant_id, currency, minor)

        if amount < self.policy.minimum:
            raise BelowMinimum(
                f"the smallest withdrawal is {money(self.policy.minimum)}", field="amount"
            )
        if fee >= amount:
            raise BelowMinimum(
                f"{money(amount)} does not cover the fee of {money(fee)}", field="amount"
            )

    def _count(self, work: StepWork, key: RecordKey, account_id: UUID, change: int) -> None:
        """Add `change` to the account's total of the day, refusing to pass the maximum."""
        account, currency, day = key.name.split(":")
        total = work.get(key, WithdrawalDayTotal) or WithdrawalDayTotal(
            self.tenant_id, account_id, currency, day, 0
        )
        maximum = self.policy.daily_maximum
        if change > 0 and maximum is not None and total.amount + change > maximum:
            asked = work.money(self.tenant_id, currency, total.amount)
            raise DailyLimitExceeded(
                f"account {account} may withdraw {work.money(self.tenant_id, currency, maximum)}"
                f" a day; {asked} is already asked for on {day}",
                field="amount",
            )
        work.put(key, replace(total, amount=total.amount + change))

    def _hold(
        self,
        work: StepWork,
        account_id: UUID,
        currency: str,
        references: References,
        amount: int,
        fee: int,
    ) -> tuple[UUID, UUID | None]:
        """Hold the payout (to world) and the fee (to fees); returns the two hold ids."""
        payout = work.transfer(
            self.tenant_id,
            account_id,
            self.policy.world_account_id,
            amount - fee,
            currency,
            references,
            type=TransferType.WITHDRAWAL,
            pending=True,
        )
        if fee == 0:
            return payout.id, None
        fee_hold = work.transfer(
            self.tenant_id,
            account_id,
            self.policy.fees_account_id,
            fee,
            currency,
            references,
            type=TransferType.FEE,
            pending=True,
        )
        return payout.id, fee_hold.id


def _references(withdrawal: Withdrawal, **replaced: Any) -> References:
    """What a withdrawal's holds (and their postings or voids) say about it."""
    return replace(
        _hold_references(withdrawal.id, withdrawal.receipt_id, withdrawal.channel, withdrawal.note),
        **replaced,
    )


def _hold_references(
    withdrawal_id: UUID, receipt_id: str, channel: str | None, note: str | None
) -> References:
    return References(
        receipt_id=receipt_id,
        channel=channel,
        note=note,
        metadata={"withdrawal_id": str(withdrawal_id)},
    )


def _hold_ids(withdrawal: Withdrawal) -> list[UUID]:
    return [h for h in (withdrawal.payout_hold_id, withdrawal.fee_hold_id) if h is not None]


@dataclass(frozen=True, slots=True, kw_only=True)
class _ExistingWithdrawalStep(_WithdrawalStep):
    """A step on a withdrawal that exists. `account_id`, `currency` and `day` never change, so
    the use case reads them before the step and the step locks that day's total with it."""

    tenant_id: UUID
    withdrawal_id: UUID
    idempotency_key: str | None = None
    policy: WithdrawalPolicy
    account_id: UUID
    currency: str
    day: str
    resolved_fields = frozenset({"policy", "account_id", "currency", "day"})

    def records(self, now: datetime) -> Sequence[RecordKey]:
        return (
            withdrawal_key(self.tenant_id, self.withdrawal_id),
            day_key(self.tenant_id, self.account_id, self.currency, self.day),
        )

    def footprint(self, book: RecordBook) -> Iterable[BalanceRef]:
        return self._balances(self.account_id, self.currency)

    def holds(self, book: RecordBook) -> Iterable[UUID]:
        withdrawal = book.get(withdrawal_key(self.tenant_id, self.withdrawal_id), Withdrawal)
        return [] if withdrawal is None else _hold_ids(withdrawal)

    def _withdrawal(self, work: StepWork, allowed: WithdrawalStatus, action: str) -> Withdrawal:
        withdrawal = work.get(withdrawal_key(self.tenant_id, self.withdrawal_id), Withdrawal)
        if withdrawal is None:
            raise WithdrawalNotFound(self.withdrawal_id)
        if withdrawal.status is not allowed:
            raise InvalidState("withdrawal", withdrawal.id, withdrawal.status.value, action)
        return withdrawal

    def _release(self, work: StepWork, withdrawal: Withdrawal, references: References) -> None:
        """Void the holds and take the amount off the day's total."""
        for hold_id in _hold_ids(withdrawal):
            work.void(self.tenant_id, hold_id, references)
        key = day_key(self.tenant_id, self.account_id, self.currency, self.day)
        self._count(work, key, self.account_id, -withdrawal.amount)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateWithdrawal(_WithdrawalStep):
    """A pending withdrawal with its amount held. Refused with: AccountNotFound,
    AccountClosed, AccountFrozen, UnknownCurrency, InvalidAmount, BelowMinimum,
    DailyLimitExceeded, InsufficientFunds, ValidationError (no destination given and no
    payout profile, or one that is not small plain JSON)."""

    tenant_id: UUID
    account_id: UUID
    amount: Decimal
    currency: str
    destination: Mapping[str, Any] | None = None
    channel: str | None = None
    note: str | None = None
    idempotency_key: str | None = None
    policy: WithdrawalPolicy
    payout_profile: Mapping[str, Any]
    resolved_fields = frozenset({"policy", "payout_profile"})

    def records(self, now: datetime) -> Sequence[RecordKey]:
        return (day_key(self.tenant_id, self.account_id, self.currency, self.policy.day(now)),)

    def footprint(self, book: RecordBook) -> Iterable[BalanceRef]:
        return self._balances(self.account_id, self.currency)

    def apply(self, work: StepWork) -> Withdrawal:
        work.customer_account(self.tenant_id, self.account_id, "account_id")
        amount = work.minor_units(self.tenant_id, self.currency, self.amount)
        fee = self.policy.fee(amount)
        self._check_amount(work, self.currency, amount, fee)
        day = self.policy.day(work.now)
        key = day_key(self.tenant_id, self.account_id, self.currency, day)
        self._count(work, key, self.account_id, amount)
        withdrawal_id = new_id()
        receipt_id = receipts.new_receipt_id(receipts.WITHDRAWAL)
        references = _hold_references(withdrawal_id, receipt_id, self.channel, self.note)
        payout_hold_id, fee_hold_id = self._hold(
            work, self.account_id, self.currency, references, amount, fee
        )
        withdrawal = Withdrawal(
            id=withdrawal_id,
            tenant_id=self.tenant_id,
            account_id=self.account_id,
            currency=self.currency,
            amount=amount,
            fee=fee,
            channel=self.channel,
            destination=_destination(self.destination, self.payout_profile),
            status=WithdrawalStatus.PENDING,
            note=self.note,
            receipt_id=receipt_id,
            payout_hold_id=payout_hold_id,
            fee_hold_id=fee_hold_id,
            payout_reference=None,
            reason=None,
            operator=None,
            day=day,
            created_at=work.now,
            updated_at=work.now,
            number=work.next_number(WITHDRAWALS, self.tenant_id),
        )
        work.put(self.subject_key(withdrawal), withdrawal)
        return withdrawal


def _destination(
    given: Mapping[str, Any] | None, payout_profile: Mapping[str, Any]
) -> Mapping[str, Any]:
    destination = dict(payout_profile if given is None else given)
    if not destination:
        raise errors.ValidationError(
            "a destination says where the money goes: it cannot be empty"
            if given is not None
            else "give a destination: the account has no payout profile to default to",
            field="destination",
        )
    check_metadata(destination, field="destination")
    return destination


@dataclass(frozen=True, slots=True, kw_only=True)
class EditWithdrawal(_ExistingWithdrawalStep):
    """Change a pending withdrawal's amount (its holds are voided and placed again, in the
    same transaction) or destination. Refused with: WithdrawalNotFound, InvalidState (not
    pending), InvalidAmount, BelowMinimum, DailyLimitExceeded, InsufficientFunds,
    AccountFrozen, ValidationError (destination)."""

    amount: Decimal | None = None
    destination: Mapping[str, Any] | None = None

    def apply(self, work: StepWork) -> Withdrawal:
        withdrawal = self._withdrawal(work, WithdrawalStatus.PENDING, "edited")
        edited = withdrawal
        if self.destination is not None:
            edited = replace(edited, destination=_destination(self.destination, {}))
        if self.amount is not None:
            amount = work.minor_units(self.tenant_id, self.currency, self.amount)
            if amount != withdrawal.amount:
                fee = self.policy.fee(amount)
                self._check_amount(work, self.currency, amount, fee)
                self._release(work, withdrawal, _references(withdrawal, note="replaced by an edit"))
                key = day_key(self.tenant_id, self.account_id, self.currency, self.day)
                self._count(work, key, self.account_id, amount)
                payout_hold_id, fee_hold_id = self._hold(
                    work, self.account_id, self.currency, _references(withdrawal), amount, fee
                )
                edited = replace(
                    edited,
                    amount=amount,
                    fee=fee,
                    payout_hold_id=payout_hold_id,
                    fee_hold_id=fee_hold_id,
                )
        if edited == withdrawal:
            return withdrawal
        edited = replace(edited, updated_at=work.now)
        work.put(self.subject_key(edited), edited)
        return edited


class WithdrawalAction(StrEnum):
    CANCEL = "cancel"  # the owner
    APPROVE = "approve"  # an admin
    REJECT = "reject"  # an admin
    PAY = "pay"  # an admin, once the payout went out
    FAIL = "fail"  # an admin, when the payout did not go out


# action: (the status it needs, the status it leads to, how the refusal says it)
_MOVES = {
    WithdrawalAction.CANCEL: (WithdrawalStatus.PENDING, WithdrawalStatus.CANCELLED, "cancelled"),
    WithdrawalAction.APPROVE: (WithdrawalStatus.PENDING, WithdrawalStatus.APPROVED, "approved"),
    WithdrawalAction.REJECT: (WithdrawalStatus.PENDING, WithdrawalStatus.REJECTED, "rejected"),
    WithdrawalAction.PAY: (WithdrawalStatus.APPROVED, WithdrawalStatus.PAID, "paid"),
    WithdrawalAction.FAIL: (WithdrawalStatus.APPROVED, WithdrawalStatus.FAILED, "failed"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveWithdrawal(_ExistingWithdrawalStep):
    """Cancel, approve, reject, pay or fail a withdrawal (see the module's diagram). Refused
    with: WithdrawalNotFound, InvalidState (naming the state it is in), and for `pay`
    AccountFrozen / AccountClosed (posting the holds debits the account)."""

    action: WithdrawalAction
    reason: str | None = None
    payout_reference: str | None = None
    operator: str | None = None

    def apply(self, work: StepWork) -> Withdrawal:
        needed, outcome, done = _MOVES[self.action]
        withdrawal = self._withdrawal(work, needed, done)
        if self.action is WithdrawalAction.PAY:
            paid = _references(
                withdrawal,
                operator=self.operator,
                metadata={
                    "withdrawal_id": str(withdrawal.id),
                    "payout_reference": self.payout_reference,
                },
            )
            for hold_id in _hold_ids(withdrawal):
                work.post(self.tenant_id, hold_id, paid)
        elif outcome is not WithdrawalStatus.APPROVED:
            note = self.reason or f"withdrawal {outcome.value}"
            self._release(
                work, withdrawal, _references(withdrawal, note=note, operator=self.operator)
            )
        moved = replace(
            withdrawal,
            status=outcome,
            reason=self.reason if self.reason is not None else withdrawal.reason,
            payout_reference=self.payout_reference,
            operator=self.operator,
            updated_at=work.now,
        )
        work.put(self.subject_key(moved), moved)
        return moved


# -- use cases ----------------------------------------------------------------------------------


def policy_for(ledger: Ledger, tenant_id: UUID, currency: str) -> WithdrawalPolicy:
    """The tenant's withdrawal rules for `currency` now, and its world and fees accounts."""
    settings = get_settings(ledger, tenant_id)
    rules = settings.rules_for(currency)
    return WithdrawalPolicy(
        world_account_id=ledger.system_account(tenant_id, SystemAccount.WORLD, currency).id,
        fees_account_id=ledger.system_account(tenant_id, SystemAccount.FEES, currency).id,
        time_zone=ledger.get_tenant(tenant_id).time_zone,
        fee_fixed=rules.fee_fixed,
        fee_basis_points=settings.withdrawal_fee_basis_points,
        minimum=rules.minimum,
        daily_maximum=rules.daily_maximum,
    )


def create(
    ledger: Ledger,
    tenant_id: UUID,
    account_id: UUID,
    amount: Decimal,
    currency: str,
    *,
    destination: Mapping[str, Any] | None = None,
    channel: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> StepResult[Withdrawal]:
    """Request a withdrawal; `destination` defaults to the account's payout profile, copied.

    Raises what `CreateWithdrawal` raises, and ValidationError for an unknown channel or a
    long note.
    """
    if channel is not None:
        require_channel(ledger, tenant_id, channel)
    check_text(note, "note", MAX_NOTE_LENGTH)
    account = ledger.get_account(tenant_id, account_id)
    step = CreateWithdrawal(
        tenant_id=tenant_id,
        account_id=account_id,
        amount=amount,
        currency=currency,
        destination=None if destination is None else dict(destination),
        channel=channel,
        note=note,
        idempotency_key=idempotency_key,
        policy=policy_for(ledger, tenant_id, currency),
        payout_profile=dict(account.payout_profile),
    )
    return ledger.run(step)


def edit(
    ledger: Ledger,
    tenant_id: UUID,
    withdrawal_id: UUID,
    *,
    amount: Decimal | None = None,
    destination: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> StepResult[Withdrawal]:
    """Change a pending withdrawal's amount and/or destination (see `EditWithdrawal`)."""
    withdrawal = get(ledger, tenant_id, withdrawal_id)
    step = EditWithdrawal(
        tenant_id=tenant_id,
        withdrawal_id=withdrawal_id,
        amount=amount,
        destination=None if destination is None else dict(destination),
        idempotency_key=idempotency_key,
        policy=policy_for(ledger, tenant_id, withdrawal.currency),
        account_id=withdrawal.account_id,
        currency=withdrawal.currency,
        day=withdrawal.day,
    )
    return ledger.run(step)


def move(
    ledger: Ledger,
    tenant_id: UUID,
    withdrawal_id: UUID,
    action: WithdrawalAction,
    *,
    reason: str | None = None,
    payout_reference: str | None = None,
    operator: str | None = None,
    idempotency_key: str | None = None,
) -> StepResult[Withdrawal]:
    """Apply `action` (see `MoveWithdrawal`). Raises ValidationError when a rejection or a
    failure comes without a reason, a payment without a payout reference, or either is long."""
    if action in (WithdrawalAction.REJECT, WithdrawalAction.FAIL) and not reason:
        raise errors.ValidationError(
            f"to {action.value} a withdrawal, give a reason", field="reason"
        )
    if action is WithdrawalAction.PAY and not payout_reference:
        raise errors.ValidationError(
            "to mark a withdrawal paid, give the payout's reference", field="payout_reference"
        )
    check_text(reason, "reason", MAX_NOTE_LENGTH)
    check_text(payout_reference, "payout_reference", MAX_REFERENCE_LENGTH)
    check_text(operator, "operator", MAX_REFERENCE_LENGTH)
    withdrawal = get(ledger, tenant_id, withdrawal_id)
    step = MoveWithdrawal(
        tenant_id=tenant_id,
        withdrawal_id=withdrawal_id,
        action=action,
        reason=reason,
        payout_reference=payout_reference,
        operator=operator,
        idempotency_key=idempotency_key,
        policy=policy_for(ledger, tenant_id, withdrawal.currency),
        account_id=withdrawal.account_id,
        currency=withdrawal.currency,
        day=withdrawal.day,
    )
    return ledger.run(step)


def get(ledger: Ledger, tenant_id: UUID, withdrawal_id: UUID) -> Withdrawal:
    return read_one(
        ledger,
        lambda c: withdrawals_repository.get(c, tenant_id, withdrawal_id),
        WithdrawalNotFound(withdrawal_id),
    )


def get_by_number(ledger: Ledger, tenant_id: UUID, number: int) -> Withdrawal:
    """The tenant's withdrawal with this number (the DRF seed's pk). Raises
    WithdrawalNotFound."""
    return read_one(
        ledger,
        lambda c: withdrawals_repository.get_by_number(c, tenant_id, number),
        WithdrawalNotFound(number),
    )


def slice_of(
    ledger: Ledger, query: WithdrawalQuery, window: Slice, sort: Sequence[SortKey] = ()
) -> CountedPage[Withdrawal]:
    """A counted slice of the withdrawals ordered by `sort`, then by number."""
    return read(ledger, lambda c: withdrawals_repository.slice_withdrawals(c, query, window, sort))


def list_page(
    ledger: Ledger, query: WithdrawalQuery, window: Window[UUID]
) -> Page[Withdrawal, UUID]:
    return read(ledger, lambda c: withdrawals_repository.list_withdrawals(c, query, window))
