"""The wire shapes of the wallet flows: top-ups, channel callbacks, withdrawals, orders,
sub-account funding and the tenant's wallet settings. Same rules as `schemas`: amounts are
decimal strings, unknown fields are refused, limits mirror the core's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from tallybook.api.schemas import (
    Amount,
    CurrencyCode,
    JsonObject,
    Note,
    Reference,
    Strict,
    Tags,
)
from tallybook.ledger.limits import MAX_COUNTRY_CODE_LENGTH
from tallybook.wallet.orders import MAX_IMAGE_URL_LENGTH, MAX_TITLE_LENGTH
from tallybook.wallet.settings import (
    MAX_CALLBACK_SECRET_LENGTH,
    MAX_TOPUP_EXPIRY_SECONDS,
    MIN_CALLBACK_SECRET_LENGTH,
    MIN_TOPUP_EXPIRY_SECONDS,
)
from tallybook.wallet_model import (
    ConfirmedVia,
    OrderStatus,
    TopUpStatus,
    WithdrawalStatus,
)

Channel = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$"),
    Field(
        description="`alipay`, `wechat`, `card`, `bank_transfer`, `manual`, or one the tenant "
        "configured",
        examples=["alipay"],
    ),
]
Percent = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$"),
    Field(description="a percentage, 0 to 99.99, as a decimal string", examples=["0.60"]),
]


# -- top-ups ---------------------------------------------------------------------------------


class TopUpCreate(Strict):
    account_id: UUID
    amount: Amount
    currency: CurrencyCode
    channel: Channel
    note: Note | None = None
    metadata: JsonObject = Field(default_factory=dict)


class TopUpConfirm(Strict):
    external_reference: Reference = Field(
        description="the channel's id of the payment", examples=["2026112322001412345"]
    )
    note: Note | None = None
    operator: Reference | None = None


class TopUpFail(Strict):
    reason: Note | None = None
    operator: Reference | None = None


class TopUpOut(BaseModel):
    id: UUID
    account_id: UUID
    amount: str
    currency: str
    channel: str
    status: TopUpStatus = Field(
        description="a pending top-up past `expires_at` shows `expired` at once"
    )
    note: str | None
    metadata: dict[str, Any]
    external_reference: str | None
    receipt_id: str | None = Field(description="assigned when it succeeds")
    transfer_id: UUID | None = Field(description="the credit `@world -> account`, once paid")
    failure_reason: str | None
    confirmed_via: ConfirmedVia | None
    operator: str | None
    created_at: datetime
    expires_at: datetime
    updated_at: datetime


class ChannelCallback(Strict):
    """What a payment channel sends to `/v1/callbacks/{tenant_id}/{channel}`, signed."""

    topup_id: UUID
    status: Literal["succeeded", "failed"]
    external_reference: Reference | None = Field(
        None, description="the channel's payment id; required when `succeeded`"
    )
    reason: Note | None = Field(None, description="why it failed")


# -- withdrawals -----------------------------------------------------------------------------


class WithdrawalCreate(Strict):
    account_id: UUID
    amount: Amount = Field(description="what leaves the balance; the fee comes out of it")
    currency: CurrencyCode
    destination: JsonObject | None = Field(
        None,
        description="where the money goes; default: a copy of the account's payout profile",
        examples=[{"alipay": "alice@example.com", "full_name": "Alice Chen"}],
    )
    channel: Channel | None = None
    note: Note | None = None


class WithdrawalEdit(Strict):
    """Only while pending; the hold follows a new amount in the same transaction."""

    amount: Amount | None = None
    destination: JsonObject | None = None


class WithdrawalDecision(Strict):
    reason: Note | None = Field(None, description="required to reject or fail")
    operator: Reference | None = None


class WithdrawalPayment(Strict):
    payout_reference: Reference = Field(description="the payout channel's id of the transfer")
    operator: Reference | None = None


class WithdrawalOut(BaseModel):
    id: UUID
    account_id: UUID
    currency: str
    amount: str
    fee: str
    payout: str = Field(description="amount - fee: what the destination receives")
    channel: str | None
    destination: dict[str, Any]
    status: WithdrawalStatus
    note: str | None
    receipt_id: str
    payout_hold_id: UUID
    fee_hold_id: UUID | None
    payout_reference: str | None
    reason: str | None
    operator: str | None
    created_at: datetime
    updated_at: datetime


# -- orders ----------------------------------------------------------------------------------


class OrderCreate(Strict):
    account_id: UUID
    order_number: Reference = Field(description="unique in the tenant", examples=["ORD-1001"])
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_LENGTH)]
    image_url: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_IMAGE_URL_LENGTH)] | None
    ) = None
    amount: Amount
    currency: CurrencyCode
    country_code: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_COUNTRY_CODE_LENGTH)] | None
    ) = Field(None, examples=["CN"])
    tags: Tags = Field(default_factory=list)
    note: Note | None = None
    metadata: JsonObject = Field(default_factory=dict)


class RefundCreate(Strict):
    amount: Amount | None = Field(None, description="default: all that is left to refund")
    reason: Note | None = None
    operator: Reference | None = None


class RefundOut(BaseModel):
    id: UUID
    amount: str
    receipt_id: str
    transfer_id: UUID
    reason: str | None
    operator: str | None
    created_at: datetime


class OrderOut(BaseModel):
    id: UUID
    account_id: UUID
    order_number: str
    title: str
    image_url: str | None
    amount: str
    currency: str
    country_code: str | None
    tags: list[str]
    note: str | None
    metadata: dict[str, Any]
    status: OrderStatus
    refunded: str
    refundable: str
    receipt_id: str
    payment_transfer_id: UUID
    refunds: list[RefundOut]
    created_at: datetime
    updated_at: datetime


# -- sub-accounts ----------------------------------------------------------------------------


class AllocationCreate(Strict):
    sub_account_id: UUID = Field(description="a direct sub-account of the path's account")
    amount: Amount
    currency: CurrencyCode
    note: Note | None = None
    operator: Reference | None = None


# -- settings --------------------------------------------------------------------------------


class WithdrawalRulesBody(Strict):
    fee_fixed: Amount = Field("0", description="charged on every withdrawal, out of its amount")
    minimum: Amount = Field("0", description="the smallest withdrawal")
    daily_maximum: Amount | None = Field(
        None, description="most an account may ask for in a day (tenant's time zone)"
    )


class WalletSettingsUpdate(Strict):
    topup_expiry_seconds: int | None = Field(
        None, ge=MIN_TOPUP_EXPIRY_SECONDS, le=MAX_TOPUP_EXPIRY_SECONDS
    )
    withdrawal_fee_percent: Percent | None = None
    withdrawal_rules: dict[CurrencyCode, WithdrawalRulesBody] | None = Field(
        None, description="per currency; each currency given replaces its rules"
    )


class WalletSettingsOut(BaseModel):
    topup_expiry_seconds: int
    withdrawal_fee_percent: str
    withdrawal_rules: dict[str, WithdrawalRulesBody]


class ChannelConfigure(Strict):
    callback_secret: (
        Annotated[
            str,
            StringConstraints(
                min_length=MIN_CALLBACK_SECRET_LENGTH, max_length=MAX_CALLBACK_SECRET_LENGTH
            ),
        ]
        | None
    ) = Field(None, description="omit to have a random one made")


class ChannelOut(BaseModel):
    name: str
    built_in: bool
    has_callback_secret: bool


class ChannelConfigured(ChannelOut):
    callback_secret: str = Field(description="shown this once: sign callbacks with it")
