"""The shapes of the wallet-flow records: top-ups, withdrawals, orders, and the tenant's wallet
settings. Values only, shared by the flows (`wallet/`) and storage, like `model.py`.

Each flow record says where one flow is; the money it moved is in the ledger's transfers, which
the record names. Amounts are integers of minor units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class TopUpStatus(StrEnum):
    PENDING = "pending"  # waiting for the payment channel
    SUCCEEDED = "succeeded"  # paid: `world -> account` was posted
    FAILED = "failed"  # the channel or an admin said it will not be paid
    EXPIRED = "expired"  # nobody confirmed it in time


class ConfirmedVia(StrEnum):
    """Who said a top-up was paid."""

    API = "api"  # an admin key, with the channel's payment reference
    CALLBACK = "callback"  # the channel itself, in a signed callback


@dataclass(frozen=True, slots=True)
class TopUp:
    """Money on its way in through a payment channel (a recharge order)."""

    id: UUID
    tenant_id: UUID
    account_id: UUID
    amount: int
    currency: str
    channel: str
    status: TopUpStatus
    note: str | None
    metadata: Mapping[str, Any]
    external_reference: str | None  # the channel's payment id, given on confirmation
    receipt_id: str | None  # ours, assigned on success
    transfer_id: UUID | None  # the credit, once succeeded
    failure_reason: str | None
    confirmed_via: ConfirmedVia | None
    operator: str | None
    created_at: datetime
    expires_at: datetime
    updated_at: datetime
    number: int  # 1, 2, 3... per tenant: the integer id the DRF seed API shows

    def status_at(self, now: datetime) -> TopUpStatus:
        """The status as a reader should see it: a pending top-up past its expiry is expired,
        even before the background expirer has written so."""
        if self.status is TopUpStatus.PENDING and self.expires_at <= now:
            return TopUpStatus.EXPIRED
        return self.status


class WithdrawalStatus(StrEnum):
    PENDING = "pending"  # held, waiting for review; the owner may still edit or cancel it
    APPROVED = "approved"  # an admin approved it; waiting for the payout
    PAID = "paid"  # the hold was posted to world (and the fee to fees)
    REJECTED = "rejected"  # an admin refused it; the hold was voided
    CANCELLED = "cancelled"  # the owner withdrew the request; the hold was voided
    FAILED = "failed"  # the payout did not go through; the hold was voided


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """Money on its way out to a payout destination (balance out).

    `amount` is what leaves the balance; `fee` of it goes to `fees`, the rest (`payout`) to
    the destination. Both are held from the moment of the request, as two holds.
    """

    id: UUID
    tenant_id: UUID
    account_id: UUID
    currency: str
    amount: int
    fee: int
    channel: str | None
    destination: Mapping[str, Any]  # a snapshot: later payout-profile edits do not change it
    status: WithdrawalStatus
    note: str | None
    receipt_id: str
    payout_hold_id: UUID
    fee_hold_id: UUID | None
    payout_reference: str | None  # the payout channel's id, once paid
    reason: str | None  # why it was rejected or failed
    operator: str | None  # who made the last decision
    day: str  # the tenant's local date of the request, counted against the daily maximum
    created_at: datetime
    updated_at: datetime
    number: int  # 1, 2, 3... per tenant: the integer id the DRF seed API shows

    @property
    def payout(self) -> int:
        return self.amount - self.fee


@dataclass(frozen=True, slots=True)
class WithdrawalDayTotal:
    """What an account asked to withdraw on one local day, less what was cancelled, rejected
    or failed: the number the daily maximum is checked against."""

    tenant_id: UUID
    account_id: UUID
    currency: str
    day: str
    amount: int


class OrderStatus(StrEnum):
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Refund:
    id: UUID
    order_id: UUID
    amount: int
    receipt_id: str
    transfer_id: UUID
    reason: str | None
    operator: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Order:
    """An order paid from the balance, with what was refunded of it."""

    id: UUID
    tenant_id: UUID
    account_id: UUID
    order_number: str
    title: str
    image_url: str | None
    amount: int
    currency: str
    country_code: str | None
    tags: tuple[str, ...]
    note: str | None
    metadata: Mapping[str, Any]
    status: OrderStatus
    receipt_id: str
    payment_transfer_id: UUID
    refunds: tuple[Refund, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds)

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded


@dataclass(frozen=True, slots=True)
class WithdrawalRules:
    """A tenant's withdrawal rules in one currency, in minor units (0 / None: none)."""

    currency: str
    fee_fixed: int = 0
    minimum: int = 0
    daily_maximum: int | None = None


DEFAULT_TOPUP_EXPIRY_SECONDS = 30 * 60


@dataclass(frozen=True, slots=True)
class WalletSettings:
    """A tenant's wallet settings; a tenant that never set them gets these defaults."""

    tenant_id: UUID
    topup_expiry_seconds: int = DEFAULT_TOPUP_EXPIRY_SECONDS
    withdrawal_fee_basis_points: int = 0  # 1 basis point = 0.01 %
    withdrawal_rules: Mapping[str, WithdrawalRules] | None = None

    def rules_for(self, currency: str) -> WithdrawalRules:
        return (self.withdrawal_rules or {}).get(currency) or WithdrawalRules(currency)


@dataclass(frozen=True, slots=True)
class PaymentChannel:
    """A channel a tenant configured (a name top-ups may use) with a callback secret."""

    tenant_id: UUID
    name: str
    created_at: datetime
    updated_at: datetime


# -- what a list of flow records asks for ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopUpQuery:
    """Filters of the top-up list; `within` limits it to a key's scope (None: whole tenant).
    `created_to` is exclusive. `status` is the status a reader sees (`TopUp.status_at`)."""

    tenant_id: UUID
    account_id: UUID | None = None
    status: TopUpStatus | None = None
    channel: str | None = None
    currency: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    within: frozenset[UUID] | None = None


@dataclass(frozen=True, slots=True)
class WithdrawalQuery:
    tenant_id: UUID
    account_id: UUID | None = None
    status: WithdrawalStatus | None = None
    currency: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    within: frozenset[UUID] | None = None


class WithdrawalSort(StrEnum):
    """What a withdrawal list may be ordered by (the DRF seed's `order_by`)."""

    NUMBER = "number"
    ACCOUNT_NUMBER = "account_number"
    AMOUNT = "amount"
    FEE = "fee"
    CURRENCY = "currency"
    STATUS = "status"
    ALIPAY = "alipay"  # the destination's Alipay account
    FULL_NAME = "full_name"  # the destination's holder
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key of a list's order; ties fall to the next key, and last to the number."""

    field: WithdrawalSort
    descending: bool = False


@dataclass(frozen=True, slots=True)
class OrderQuery:
    tenant_id: UUID
    account_id: UUID | None = None
    status: OrderStatus | None = None
    order_number: str | None = None
    country_code: str | None = None
    tag: str | None = None
    currency: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    within: frozenset[UUID] | None = None
