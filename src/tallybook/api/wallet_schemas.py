"""The wire shapes of the wallet flows: top-ups, channel callbacks, withdrawals, orders,
sub-account funding and the tenant's wallet settings. Same rules as `schemas`: amounts are
decimal strings, unknown fields are refused, limits mirror the core's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from tallybook.api.schemas import (
    ACCOUNT_ID,
    CREATED_AT,
    HOLD_ID,
    TRANSFER_ID,
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
    CHANNEL_NAME,
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
    StringConstraints(pattern=CHANNEL_NAME.pattern),
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

# Examples, so the interactive docs show believable objects (UUIDv7 ids and receipt ids as
# the API makes them). A sub-account funded by its parent is ACCOUNT_ID under PARENT_ID.
TENANT_ID = "01947a2f-7e00-7b1a-8c2d-1e2f3a4b5c6d"
TOPUP_ID = "01947a3e-4b50-7d2e-9f3a-6c7d8e9f0a1b"
WITHDRAWAL_ID = "01947a3f-6c60-7e4f-8a5b-7d8e9f0a1b2c"
FEE_HOLD_ID = "01947a3f-6c61-7b2c-9d8e-0a1b2c3d4e5f"
ORDER_ID = "01947a40-8d70-7f5a-9b6c-8e9f0a1b2c3d"
REFUND_ID = "01947a41-9e80-7a6b-8c7d-9f0a1b2c3d4e"
REFUND_TRANSFER_ID = "01947a41-9e81-7c3d-8e4f-a0b1c2d3e4f5"
UPDATED_AT = "2026-01-15T09:31:12Z"
PAYOUT_PROFILE = {"alipay": "alice@example.com", "full_name": "Alice Chen"}
WITHDRAWAL_RULES = {"CNY": {"fee_fixed": "1.00", "minimum": "10.00", "daily_maximum": "5000.00"}}


# -- top-ups ---------------------------------------------------------------------------------


class TopUpCreate(Strict):
    account_id: UUID = Field(
        description="the customer account to credit once the top-up is paid", examples=[ACCOUNT_ID]
    )
    amount: Amount = Field(description="what the customer pays in", examples=["100.00"])
    currency: CurrencyCode
    channel: Channel
    note: Note | None = Field(
        None,
        description="a remark, up to 2,000 characters; the credit transfer carries it unless "
        "the confirmation gives its own",
        examples=["recharge from the mobile app"],
    )
    metadata: JsonObject = Field(default_factory=dict)


class TopUpConfirm(Strict):
    external_reference: Reference = Field(
        description="the channel's id of the payment; confirming again with the same one "
        "changes nothing",
        examples=["2026112322001412345"],
    )
    note: Note | None = Field(
        None,
        description="a remark for the credit transfer, instead of the top-up's own note",
        examples=["paid at the counter"],
    )
    operator: Reference | None = Field(
        None,
        description="who confirmed it (a person or a system); on the top-up and the credit",
        examples=["finance-ops"],
    )


class TopUpFail(Strict):
    reason: Note | None = Field(
        None,
        description="why it will not be paid; shown as the top-up's `failure_reason`",
        examples=["closed by the customer"],
    )
    operator: Reference | None = Field(
        None, description="who failed it (a person or a system)", examples=["finance-ops"]
    )


class TopUpOut(BaseModel):
    id: UUID = Field(description="the top-up's id", examples=[TOPUP_ID])
    account_id: UUID = Field(description="the account it credits", examples=[ACCOUNT_ID])
    amount: str = Field(
        description="what it credits, a decimal string in the major unit", examples=["100.00"]
    )
    currency: str = Field(description="the currency code", examples=["CNY"])
    channel: str = Field(description="the payment channel it is paid through", examples=["alipay"])
    status: TopUpStatus = Field(
        description="`pending`, `succeeded`, `failed` or `expired`; a pending top-up past "
        "`expires_at` shows `expired` at once",
        examples=["succeeded"],
    )
    note: str | None = Field(
        description="the remark it was started with", examples=["recharge from the mobile app"]
    )
    metadata: dict[str, Any] = Field(
        description="your free-form JSON, as given when it was started",
        examples=[{"campaign": "spring"}],
    )
    external_reference: str | None = Field(
        description="the channel's id of the payment, once confirmed",
        examples=["2026112322001412345"],
    )
    receipt_id: str | None = Field(
        description="our receipt id (`TU-…`), assigned when it succeeds; the credit transfer "
        "carries it too",
        examples=["TU-01KF2Y7D3B8W5N4M6P9Q0R1S2T"],
    )
    transfer_id: UUID | None = Field(
        description="the credit `@world -> account`, once paid", examples=[TRANSFER_ID]
    )
    failure_reason: str | None = Field(description="why it failed, when it did", examples=[None])
    confirmed_via: ConfirmedVia | None = Field(
        description="once succeeded: `api` (an admin key) or `callback` (the channel's signed "
        "callback)",
        examples=["callback"],
    )
    operator: str | None = Field(
        description="who confirmed or failed it: the `operator` an admin gave, or "
        "`channel:<name>` for a callback",
        examples=["channel:alipay"],
    )
    created_at: datetime = Field(description="when it was started (UTC)", examples=[CREATED_AT])
    expires_at: datetime = Field(
        description="when it expires unless confirmed first: `created_at` plus the tenant's "
        "`topup_expiry_seconds` (UTC)",
        examples=["2026-01-15T10:00:00Z"],
    )
    updated_at: datetime = Field(description="when it last changed (UTC)", examples=[UPDATED_AT])


class ChannelCallback(Strict):
    """What a payment channel sends to `/v1/callbacks/{tenant_id}/{channel}`, signed."""

    topup_id: UUID = Field(
        description="the top-up the report is about (one started with this channel)",
        examples=[TOPUP_ID],
    )
    status: Literal["succeeded", "failed"] = Field(
        description="`succeeded`: it was paid, credit it; `failed`: it will not be paid",
        examples=["succeeded"],
    )
    external_reference: Reference | None = Field(
        None,
        description="the channel's payment id; required when `succeeded`",
        examples=["2026112322001412345"],
    )
    reason: Note | None = Field(
        None, description="why it failed", examples=["closed by the customer"]
    )


# -- withdrawals -----------------------------------------------------------------------------


class WithdrawalCreate(Strict):
    account_id: UUID = Field(description="the account the money leaves", examples=[ACCOUNT_ID])
    amount: Amount = Field(
        description="what leaves the balance; the fee comes out of it", examples=["30.00"]
    )
    currency: CurrencyCode
    destination: JsonObject | None = Field(
        None,
        description="where the money goes; default: a copy of the account's payout profile",
        examples=[PAYOUT_PROFILE],
    )
    channel: Channel | None = Field(
        None,
        description="the payout channel, if you want it on the withdrawal and its transfers: "
        "a built-in one or one the tenant configured",
        examples=["alipay"],
    )
    note: Note | None = Field(
        None,
        description="a remark, up to 2,000 characters; the holds carry it, and so do the "
        "transfers when it is paid",
        examples=["weekly payout"],
    )


class WithdrawalEdit(Strict):
    """Only while pending; the hold follows a new amount in the same transaction."""

    amount: Amount | None = Field(
        None,
        description="a new amount: the holds are voided and placed again for it, with the fee "
        "worked out again",
        examples=["25.00"],
    )
    destination: JsonObject | None = Field(
        None,
        description="a new destination, replacing the one taken at the request",
        examples=[{"bank_account": "6222 0000 1234 5678", "full_name": "Alice Chen"}],
    )


class WithdrawalDecision(Strict):
    reason: Note | None = Field(
        None,
        description="required to reject or fail; shown as the withdrawal's `reason`",
        examples=["the account name does not match the destination"],
    )
    operator: Reference | None = Field(
        None, description="who decided (a person or a system)", examples=["finance-ops"]
    )


class WithdrawalPayment(Strict):
    payout_reference: Reference = Field(
        description="the payout channel's id of the transfer", examples=["PAYOUT-20260115-0042"]
    )
    operator: Reference | None = Field(
        None, description="who marked it paid (a person or a system)", examples=["finance-ops"]
    )


class WithdrawalOut(BaseModel):
    id: UUID = Field(description="the withdrawal's id", examples=[WITHDRAWAL_ID])
    account_id: UUID = Field(description="the account the money leaves", examples=[ACCOUNT_ID])
    currency: str = Field(description="the currency code", examples=["CNY"])
    amount: str = Field(
        description="what leaves the balance, fee included (a decimal string in the major unit)",
        examples=["30.00"],
    )
    fee: str = Field(
        description="the tenant's fee: its `fee_fixed` plus `withdrawal_fee_percent` of the "
        "amount; it goes to `@fees` when paid",
        examples=["1.18"],
    )
    payout: str = Field(
        description="amount - fee: what the destination receives", examples=["28.82"]
    )
    channel: str | None = Field(description="the payout channel, if given", examples=["alipay"])
    destination: dict[str, Any] = Field(
        description="where the money goes: a snapshot taken at the request (or the last edit); "
        "later payout-profile changes do not alter it",
        examples=[PAYOUT_PROFILE],
    )
    status: WithdrawalStatus = Field(
        description="`pending`, `approved`, `paid`, `rejected`, `cancelled` or `failed`",
        examples=["approved"],
    )
    note: str | None = Field(description="the remark it was asked with", examples=["weekly payout"])
    receipt_id: str = Field(
        description="our receipt id (`WD-…`), given at the request; its transfers carry it too",
        examples=["WD-01KF2Y8E4C9X6P5N7Q0R1S2T3V"],
    )
    payout_hold_id: UUID = Field(
        description="the hold `account -> @world` of the payout (a new one after an edit of "
        "the amount); posted when paid, voided when it ends otherwise",
        examples=[HOLD_ID],
    )
    fee_hold_id: UUID | None = Field(
        description="the hold `account -> @fees` of the fee; null when there is no fee",
        examples=[FEE_HOLD_ID],
    )
    payout_reference: str | None = Field(
        description="the payout channel's id of the transfer, once paid", examples=[None]
    )
    reason: str | None = Field(
        description="why it was rejected or failed (or the reason given with another decision)",
        examples=[None],
    )
    operator: str | None = Field(description="who made the last decision", examples=["finance-ops"])
    created_at: datetime = Field(description="when it was asked for (UTC)", examples=[CREATED_AT])
    updated_at: datetime = Field(description="when it last changed (UTC)", examples=[UPDATED_AT])


# -- orders ----------------------------------------------------------------------------------


class OrderCreate(Strict):
    account_id: UUID = Field(description="the account that pays", examples=[ACCOUNT_ID])
    order_number: Reference = Field(description="unique in the tenant", examples=["ORD-1001"])
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_LENGTH)] = Field(
        description="what was bought, up to 200 characters; the payment's note unless `note` "
        "is given",
        examples=["Wireless earbuds"],
    )
    image_url: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_IMAGE_URL_LENGTH)] | None
    ) = Field(
        None,
        description="a picture of what was bought, for your receipts (kept, not fetched)",
        examples=["https://shop.example.com/img/earbuds.png"],
    )
    amount: Amount = Field(description="what the order costs", examples=["30.50"])
    currency: CurrencyCode
    country_code: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_COUNTRY_CODE_LENGTH)] | None
    ) = Field(
        None,
        description="the country the order is for; the payment and its refunds carry it",
        examples=["CN"],
    )
    tags: Tags = Field(
        default_factory=list,
        description="labels to filter by, up to 20; the payment and its refunds carry them",
        examples=[["electronics"]],
    )
    note: Note | None = Field(
        None,
        description="a remark for the payment transfer instead of the title",
        examples=["gift wrapped"],
    )
    metadata: JsonObject = Field(default_factory=dict)


class RefundCreate(Strict):
    amount: Amount | None = Field(
        None, description="default: all that is left to refund", examples=["10.00"]
    )
    reason: Note | None = Field(
        None,
        description="why; the refund transfer's note (default: `Refund of <title>`)",
        examples=["one earbud was missing"],
    )
    operator: Reference | None = Field(
        None, description="who refunded it (a person or a system)", examples=["support-7"]
    )


class RefundOut(BaseModel):
    id: UUID = Field(description="the refund's id", examples=[REFUND_ID])
    amount: str = Field(description="what this refund gave back", examples=["10.00"])
    receipt_id: str = Field(
        description="our receipt id (`RF-…`); the refund transfer carries it too",
        examples=["RF-01KF2YA0G6E1Z8R7S9T2V3W4X5"],
    )
    transfer_id: UUID = Field(
        description="the transfer `@revenue -> account`, type `refund`",
        examples=[REFUND_TRANSFER_ID],
    )
    reason: str | None = Field(description="why, as given", examples=["one earbud was missing"])
    operator: str | None = Field(description="who refunded it", examples=["support-7"])
    created_at: datetime = Field(description="when it was made (UTC)", examples=[UPDATED_AT])


class OrderOut(BaseModel):
    id: UUID = Field(description="the order's id", examples=[ORDER_ID])
    account_id: UUID = Field(description="the account that paid", examples=[ACCOUNT_ID])
    order_number: str = Field(description="your order number", examples=["ORD-1001"])
    title: str = Field(description="what was bought", examples=["Wireless earbuds"])
    image_url: str | None = Field(
        description="a picture of it", examples=["https://shop.example.com/img/earbuds.png"]
    )
    amount: str = Field(
        description="what was charged, a decimal string in the major unit", examples=["30.50"]
    )
    currency: str = Field(description="the currency code", examples=["CNY"])
    country_code: str | None = Field(description="the country the order is for", examples=["CN"])
    tags: list[str] = Field(description="labels to filter by", examples=[["electronics"]])
    note: str | None = Field(description="the remark given with the charge", examples=[None])
    metadata: dict[str, Any] = Field(
        description="your free-form JSON", examples=[{"sku": "EB-200"}]
    )
    status: OrderStatus = Field(
        description="`paid`, `partially_refunded` or `refunded` (nothing left to refund)",
        examples=["partially_refunded"],
    )
    refunded: str = Field(description="the sum of its refunds", examples=["10.00"])
    refundable: str = Field(
        description="amount - refunded: what can still be refunded", examples=["20.50"]
    )
    receipt_id: str = Field(
        description="our receipt id of the payment (`OP-…`); the payment transfer carries it too",
        examples=["OP-01KF2Y9F5D0Y7Q6P8R1S2T3V4W"],
    )
    payment_transfer_id: UUID = Field(
        description="the payment `account -> @revenue`, type `order_payment`",
        examples=[TRANSFER_ID],
    )
    refunds: list[RefundOut] = Field(description="its refunds, oldest first")
    created_at: datetime = Field(description="when it was paid (UTC)", examples=[CREATED_AT])
    updated_at: datetime = Field(
        description="when it last changed: its last refund (UTC)", examples=[UPDATED_AT]
    )


# -- sub-accounts ----------------------------------------------------------------------------


class AllocationCreate(Strict):
    sub_account_id: UUID = Field(
        description="a direct sub-account of the path's account", examples=[ACCOUNT_ID]
    )
    amount: Amount
    currency: CurrencyCode
    note: Note | None = Field(
        None,
        description="a remark on the transfer, up to 2,000 characters",
        examples=["March budget"],
    )
    operator: Reference | None = Field(
        None, description="who moved it (a person or a system)", examples=["agency-admin"]
    )


# -- settings --------------------------------------------------------------------------------


class WithdrawalRulesBody(Strict):
    fee_fixed: Amount = Field(
        "0", description="charged on every withdrawal, out of its amount", examples=["1.00"]
    )
    minimum: Amount = Field("0", description="the smallest withdrawal", examples=["10.00"])
    daily_maximum: Amount | None = Field(
        None,
        description="most an account may ask for in a day (tenant's time zone)",
        examples=["5000.00"],
    )


class WalletSettingsUpdate(Strict):
    """Every field is optional; the ones given change together or not at all, and apply to
    requests made after the change."""

    topup_expiry_seconds: StrictInt | None = Field(
        None,
        ge=MIN_TOPUP_EXPIRY_SECONDS,
        le=MAX_TOPUP_EXPIRY_SECONDS,
        description="how long a new top-up waits for its payment before it expires: 60 seconds "
        "to 30 days",
        examples=[1800],
    )
    withdrawal_fee_percent: Percent | None = Field(
        None,
        description="the percentage part of every withdrawal's fee, 0 to 99.99 with two "
        "decimals at most",
        examples=["0.60"],
    )
    withdrawal_rules: dict[CurrencyCode, WithdrawalRulesBody] | None = Field(
        None,
        description="per currency; each currency given replaces its rules",
        examples=[WITHDRAWAL_RULES],
    )


class WalletSettingsOut(BaseModel):
    topup_expiry_seconds: int = Field(
        description="how long a new top-up waits for its payment before it expires",
        examples=[1800],
    )
    withdrawal_fee_percent: str = Field(
        description="the percentage part of every withdrawal's fee (rounded half up to the "
        "minor unit), added to the currency's `fee_fixed`",
        examples=["0.60"],
    )
    withdrawal_rules: dict[str, WithdrawalRulesBody] = Field(
        description="per currency; a currency not listed has no fixed fee, minimum or maximum",
        examples=[WITHDRAWAL_RULES],
    )


class ChannelConfigure(Strict):
    callback_secret: (
        Annotated[
            str,
            StringConstraints(
                min_length=MIN_CALLBACK_SECRET_LENGTH, max_length=MAX_CALLBACK_SECRET_LENGTH
            ),
        ]
        | None
    ) = Field(
        None,
        description="the secret the channel signs its callbacks with, 16 to 128 characters; "
        "omit to have a random one made",
        examples=["cb-secret-7Hq2mZ9xVb4Kp1Lr"],
    )


class ChannelOut(BaseModel):
    name: str = Field(
        description="the channel's name, as top-ups and withdrawals give it", examples=["alipay"]
    )
    built_in: bool = Field(
        description="one every tenant has: `alipay`, `wechat`, `card`, `bank_transfer`, `manual`",
        examples=[True],
    )
    has_callback_secret: bool = Field(
        description="the tenant set a callback secret for it, so its signed callbacks are accepted",
        examples=[True],
    )


class ChannelConfigured(ChannelOut):
    callback_secret: str = Field(
        description="shown this once: sign callbacks with it",
        examples=["cb-secret-7Hq2mZ9xVb4Kp1Lr"],
    )
