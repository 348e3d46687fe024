"""The shapes of ledger records, shared by the core and storage. Values only, no behaviour.

Amounts are integers of minor units; a currency's number of decimals says how to print them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class AccountStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


class AccountKind(StrEnum):
    CUSTOMER = "customer"
    SYSTEM = "system"


class SystemAccount(StrEnum):
    """The per-tenant, per-currency accounts that make every movement double-entry."""

    WORLD = "world"  # money entering and leaving the platform
    REVENUE = "revenue"  # sales paid from balances
    FEES = "fees"  # fees charged on withdrawals and the like


class TransferType(StrEnum):
    TOPUP = "topup"
    ORDER_PAYMENT = "order_payment"
    REFUND = "refund"
    WITHDRAWAL = "withdrawal"
    ALLOCATION = "allocation"
    ADJUSTMENT = "adjustment"
    FEE = "fee"
    REVERSAL = "reversal"


class TransferStatus(StrEnum):
    POSTED = "posted"
    PENDING = "pending"
    VOIDED = "voided"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class References:
    """What a transfer points at outside the ledger, and who made it and why."""

    order_number: str | None = None
    receipt_id: str | None = None
    invoice_id: str | None = None
    channel: str | None = None
    country_code: str | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    operator: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def flat(self) -> dict[str, Any]:
        """Every reference but `metadata`, in field order, tags as a list: the flat part the
        API's records, the transfer rows and the request hash each write out."""
        return {
            "order_number": self.order_number,
            "receipt_id": self.receipt_id,
            "invoice_id": self.invoice_id,
            "channel": self.channel,
            "country_code": self.country_code,
            "tags": list(self.tags),
            "note": self.note,
            "operator": self.operator,
        }


@dataclass(frozen=True, slots=True)
class Tenant:
    id: UUID
    name: str
    time_zone: str
    created_at: datetime
    archive_after_months: int | None = None  # entries older than this move to the archive


@dataclass(frozen=True, slots=True)
class Currency:
    tenant_id: UUID
    code: str
    decimals: int


@dataclass(frozen=True, slots=True)
class Account:
    """`number` is 1, 2, 3... per tenant: the short integer id the seed APIs show."""

    id: UUID
    tenant_id: UUID
    number: int
    external_id: str
    name: str
    parent_id: UUID | None
    status: AccountStatus
    kind: AccountKind
    metadata: Mapping[str, Any]
    tags: tuple[str, ...]
    payout_profile: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Balance:
    account_id: UUID
    currency: str
    posted: int
    held: int
    credit_limit: int

    @property
    def available(self) -> int:
        """What the account can spend now: holds count against it at once."""
        return self.posted - self.held + self.credit_limit


@dataclass(frozen=True, slots=True)
class Transfer:
    """One row of `transfers`. Never changed once written, but for a hold's `status`, which
    moves once from `pending` to `posted`, `voided` or `expired`."""

    id: UUID
    tenant_id: UUID
    debit_account_id: UUID
    credit_account_id: UUID
    amount: int
    currency: str
    type: TransferType
    status: TransferStatus
    pending_id: UUID | None
    reversal_of_id: UUID | None
    references: References
    idempotency_key: str | None
    request_hash: str | None
    created_at: datetime
    expires_at: datetime | None
    # The kind of wallet-flow record that wrote it (`topup`, `withdrawal`, `order`, ...), or
    # None for a plain transfer. A flow's transfers change only through the flow.
    flow: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of balance history: one account side of a posted transfer."""

    id: int
    tenant_id: UUID
    transfer_id: UUID
    account_id: UUID
    currency: str
    amount: int
    balance_before: int
    balance_after: int
    sequence: int
    created_at: datetime
    hash: str


class Role(StrEnum):
    """What an API key may do; each role includes the ones below it."""

    READ = "read"  # look only
    WRITE = "write"  # move money and manage accounts
    ADMIN = "admin"  # everything, including keys and confirming money from outside

    def allows(self, needed: Role) -> bool:
        return _ROLE_RANKS[self] >= _ROLE_RANKS[needed]


_ROLE_RANKS = {role: rank for rank, role in enumerate(Role)}


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A tenant's API key as stored: never the key itself, only its hash and last characters."""

    id: UUID
    tenant_id: UUID
    name: str
    key_hint: str
    role: Role
    account_id: UUID | None
    created_at: datetime
    revoked_at: datetime | None
