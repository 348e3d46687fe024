"""The wire shapes of the native API: what requests carry and what responses show.

Amounts travel as decimal strings in the currency's major unit ("12.50", USD with three
decimals "1.005"), never as JSON numbers: a float cannot carry money exactly. Limits on
strings and lists mirror the core's, so a request that breaks one gets a 422 naming the field
before anything runs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from tallybook.ledger.commands import MAX_BATCH_TRANSFERS, MAX_HOLD_TIMEOUT_SECONDS
from tallybook.ledger.limits import (
    MAX_CHANNEL_LENGTH,
    MAX_COUNTRY_CODE_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
)
from tallybook.model import AccountKind, AccountStatus, Role, TransferStatus, TransferType

AMOUNT_PATTERN = r"^[0-9]{1,18}(\.[0-9]{1,18})?$"

Amount = Annotated[
    str,
    StringConstraints(pattern=AMOUNT_PATTERN, max_length=40),
    Field(description="a positive decimal string in the major unit", examples=["12.50"]),
]
SignedAmount = Annotated[
    str, Field(description="a decimal string, negative for debits", examples=["-12.50"])
]
CURRENCY_PATTERN = r"^[A-Z][A-Z0-9]{2,9}$"
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=CURRENCY_PATTERN),
    Field(description="ISO 4217 code or a tenant's own", examples=["CNY"]),
]
AccountRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^(@(world|revenue|fees)|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
        r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$"
    ),
    Field(
        description="an account id, or `@world`, `@revenue`, `@fees`: the tenant's system "
        "account of the transfer's currency",
        examples=["@world"],
    ),
]


def _iso_8601_only(value: object) -> object:
    """Pydantic would also read `0.5` as seconds since 1970, which nobody means in a URL."""
    if not isinstance(value, str | datetime) or (
        isinstance(value, str) and not re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
    ):
        raise ValueError("an ISO 8601 timestamp with an offset, like 2026-01-15T09:30:00Z")
    return value


def _in_utc(value: datetime) -> datetime:
    """Timestamps are stored in UTC; one that has no UTC equivalent (year 1 at +14:00) is out
    of range rather than a crash."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the timestamp is out of range in UTC") from exc


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601_only),
    AfterValidator(_in_utc),
    Field(examples=["2026-01-15T09:30:00Z"]),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG_LENGTH)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REFERENCE_LENGTH)]
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE_LENGTH)]
JsonObject = Annotated[
    dict[str, Any], Field(description="free-form JSON, up to 8 KiB", examples=[{"vip": True}])
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]

# Examples, so the interactive docs show a believable object (UUIDv7 ids, as the API makes).
ACCOUNT_ID = "01947a3c-5e10-7a4b-8c2d-3e4f5a6b7c8d"
PARENT_ID = "01947a3b-0f00-7c1d-9e2f-0a1b2c3d4e5f"
TRANSFER_ID = "01947a3d-2a40-7f3e-8d1c-5b6a7c8d9e0f"
HOLD_ID = "01947a3d-1e20-7b2c-9a3d-4c5b6a7d8e9f"
KEY_ID = "01947a30-0000-7000-8000-0a0b0c0d0e0f"
CREATED_AT = "2026-01-15T09:30:00Z"


class Strict(BaseModel):
    """Unknown fields are refused, so a misspelt field is an error rather than ignored.
    (Numbers and booleans are `StrictInt` / `StrictBool`: `false` is not 0, `1` is not true.)"""

    model_config = ConfigDict(extra="forbid")


# -- accounts --------------------------------------------------------------------------------


class AccountCreate(Strict):
    external_id: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_REFERENCE_LENGTH),
        Field(
            description="your id for the account, unique in the tenant; `@` starts the "
            "system accounts' ids and is refused",
            examples=["user-42"],
        ),
    ]
    name: Name = Field(description="a name people read", examples=["Alice Chen"])
    parent_id: UUID | None = Field(
        None, description="make it a sub-account of this account", examples=[PARENT_ID]
    )
    metadata: JsonObject = Field(default_factory=dict)
    tags: Tags = Field(
        default_factory=list, description="labels to filter by, up to 20", examples=[["vip"]]
    )
    payout_profile: JsonObject = Field(
        default_factory=dict,
        description="where withdrawals go by default",
        examples=[{"alipay": "alice@example.com", "full_name": "Alice Chen"}],
    )


class AccountUpdate(Strict):
    """Every field is optional; the ones given change together or not at all."""

    name: Name | None = Field(None, description="a new name", examples=["Alice Chen-Wang"])
    status: AccountStatus | None = Field(
        None,
        description="`frozen` refuses debits, `closed` needs a zero balance and is final",
        examples=["frozen"],
    )
    credit_limits: dict[CurrencyCode, Amount] | None = Field(
        None,
        description="how far below zero the available balance may go, per currency",
        examples=[{"CNY": "500.00"}],
    )
    metadata: JsonObject | None = Field(
        None, description="replaces the metadata", examples=[{"tier": "gold"}]
    )
    tags: Tags | None = Field(None, description="replaces the tags", examples=[["vip", "b2b"]])
    payout_profile: JsonObject | None = Field(
        None,
        description="replaces the payout profile",
        examples=[{"alipay": "alice@example.com", "full_name": "Alice Chen"}],
    )


class BalanceOut(BaseModel):
    """One currency of an account; amounts in the currency's major unit."""

    currency: str = Field(description="the currency code", examples=["CNY"])
    posted: str = Field(description="the sum of posted entries", examples=["120.00"])
    held: str = Field(description="open holds (pending debits)", examples=["20.00"])
    available: str = Field(
        description="posted - held + credit_limit: what can be spent now", examples=["100.00"]
    )
    credit_limit: str = Field(
        description="how far below zero `available` may go", examples=["0.00"]
    )


class AccountOut(BaseModel):
    id: UUID = Field(description="the account's id", examples=[ACCOUNT_ID])
    number: int = Field(
        description="1, 2, 3... per tenant: the integer id the seed APIs show "
        "(DigiCert container id, DirectMail agent_id, DRF wallet id)",
        examples=[7],
    )
    external_id: str = Field(
        description="your id for it; system accounts have `@world:CNY`-style ids",
        examples=["user-42"],
    )
    name: str = Field(description="its name", examples=["Alice Chen"])
    parent_id: UUID | None = Field(
        description="the account it is a sub-account of", examples=[PARENT_ID]
    )
    kind: AccountKind = Field(
        description="`customer` (yours) or `system` (`@world`, `@revenue`, `@fees`)",
        examples=["customer"],
    )
    status: AccountStatus = Field(description="`active`, `frozen` or `closed`", examples=["active"])
    metadata: dict[str, Any] = Field(description="your free-form JSON", examples=[{"vip": True}])
    tags: list[str] = Field(description="labels to filter by", examples=[["vip"]])
    payout_profile: dict[str, Any] = Field(
        description="where withdrawals go by default",
        examples=[{"alipay": "alice@example.com", "full_name": "Alice Chen"}],
    )
    balances: list[BalanceOut] = Field(description="one per currency the account has used")
    balances_including_sub_accounts: list[BalanceOut] | None = Field(
        description="for an account with sub-accounts: its balances plus all of theirs"
    )
    created_at: datetime = Field(description="when it was created (UTC)", examples=[CREATED_AT])
    updated_at: datetime = Field(description="when it last changed (UTC)", examples=[CREATED_AT])


class PastBalanceOut(BaseModel):
    currency: str = Field(description="the balance's currency", examples=["CNY"])
    posted: str = Field(
        description="the posted balance after every entry up to the moment", examples=["69.50"]
    )
    entry_count: int = Field(
        description="how many entries made it (all of them up to then)", examples=[2]
    )


class BalancesAsOfOut(BaseModel):
    """Posted balances at a past moment (holds leave no history, so only `posted`)."""

    account_id: UUID = Field(description="the account asked about", examples=[ACCOUNT_ID])
    as_of: datetime = Field(
        description="the moment: entries stamped at or before it count",
        examples=["2026-10-31T15:59:59Z"],
    )
    include_sub_accounts: bool = Field(
        description="true: the sums over the account and all its sub-accounts", examples=[False]
    )
    balances: list[PastBalanceOut] = Field(
        description="one per currency the account (or its tree) had used by then"
    )


# -- transfers -------------------------------------------------------------------------------


class TransferReferences(Strict):
    """What a transfer points at outside the ledger, and who made it and why."""

    order_number: Reference | None = Field(
        None, description="your order this pays or refunds", examples=["ORD-20260115-001"]
    )
    receipt_id: Reference | None = Field(
        None, description="the payment channel's receipt", examples=["RCPT-88412"]
    )
    invoice_id: Reference | None = Field(
        None, description="your invoice", examples=["INV-2026-0042"]
    )
    channel: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHANNEL_LENGTH)] | None
    ) = Field(None, description="payment channel / pay way", examples=["alipay"])
    country_code: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_COUNTRY_CODE_LENGTH)] | None
    ) = Field(None, description="the country the order is for", examples=["CN"])
    tags: Tags = Field(
        default_factory=list, description="labels to filter by, up to 20", examples=[["books"]]
    )
    note: Note | None = Field(
        None, description="a remark, up to 2,000 characters", examples=["two books"]
    )
    operator: Reference | None = Field(
        None, description="who made it (a person or a system)", examples=["shop-backend"]
    )
    metadata: JsonObject = Field(default_factory=dict)


class TransferCreate(TransferReferences):
    debit_account_id: AccountRef = Field(description="the account the money leaves")
    credit_account_id: AccountRef = Field(
        description="the account the money enters", examples=[ACCOUNT_ID]
    )
    amount: Amount
    currency: CurrencyCode
    type: TransferType = Field(description="what the movement is", examples=["topup"])
    pending: StrictBool = Field(
        False, description="place a hold instead of moving money now", examples=[False]
    )
    timeout_seconds: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_HOLD_TIMEOUT_SECONDS,
        description="a hold expires by itself after this many seconds",
        examples=[3600],
    )


class BatchCreate(Strict):
    transfers: list[TransferCreate] = Field(
        min_length=1, max_length=MAX_BATCH_TRANSFERS, description="1 to 1,000 transfers, in order"
    )
    atomic: StrictBool = Field(
        True,
        description="all or nothing (default); false applies each transfer on its own",
        examples=[True],
    )


class Resolution(Strict):
    note: Note | None = Field(None, description="a remark", examples=["paid out to Alipay"])
    operator: Reference | None = Field(None, description="who did it", examples=["finance-ops"])


class PostHold(Resolution):
    amount: Amount | None = Field(
        None,
        description="post only this much; the rest of the hold is released",
        examples=["15.00"],
    )


class TransferOut(BaseModel):
    id: UUID = Field(description="the transfer's id", examples=[TRANSFER_ID])
    type: TransferType = Field(description="what the movement is", examples=["order_payment"])
    status: TransferStatus = Field(
        description="`posted`; or for a hold `pending`, then `posted`, `voided` or `expired`",
        examples=["posted"],
    )
    debit_account_id: UUID = Field(description="the account the money left", examples=[ACCOUNT_ID])
    credit_account_id: UUID = Field(
        description="the account the money entered", examples=[PARENT_ID]
    )
    amount: str = Field(description="a decimal string in the major unit", examples=["30.50"])
    currency: str = Field(description="the currency code", examples=["CNY"])
    pending_id: UUID | None = Field(
        description="the hold this transfer posted or released", examples=[HOLD_ID]
    )
    reversal_of_id: UUID | None = Field(
        description="the transfer this one reverses", examples=[None]
    )
    order_number: str | None = Field(description="your order", examples=["ORD-20260115-001"])
    receipt_id: str | None = Field(description="the channel's receipt", examples=[None])
    invoice_id: str | None = Field(description="your invoice", examples=[None])
    channel: str | None = Field(description="payment channel / pay way", examples=["alipay"])
    country_code: str | None = Field(description="the order's country", examples=["CN"])
    tags: list[str] = Field(description="labels", examples=[["books"]])
    note: str | None = Field(description="a remark", examples=["two books"])
    operator: str | None = Field(description="who made it", examples=["shop-backend"])
    metadata: dict[str, Any] = Field(description="your free-form JSON", examples=[{}])
    idempotency_key: str | None = Field(
        description="the `Idempotency-Key` it was made with", examples=["order-1"]
    )
    created_at: datetime = Field(description="when it was written (UTC)", examples=[CREATED_AT])
    expires_at: datetime | None = Field(
        description="when an open hold expires by itself", examples=[None]
    )


class BatchItemProblem(BaseModel):
    """Why one transfer of a non-atomic batch was refused (the others were not)."""

    status: int = Field(description="the status it would have had alone", examples=[409])
    code: str = Field(description="the stable error code", examples=["insufficient_funds"])
    detail: str = Field(
        description="what went wrong, for people", examples=["available 5.00 CNY is less"]
    )
    field: str | None = Field(description="the input to blame", examples=["amount"])


class BatchItemOut(BaseModel):
    """One transfer of a non-atomic batch: its transfer, or the problem that refused it."""

    index: int = Field(description="its position in the request, from 0", examples=[0])
    transfer: TransferOut | None = Field(description="the transfer, when it was applied")
    error: BatchItemProblem | None = Field(description="why it was refused, when it was")


class BatchOut(BaseModel):
    transfers: list[TransferOut] = Field(description="atomic batch: every transfer, in order")
    results: list[BatchItemOut] | None = Field(description="non-atomic batch: one per transfer")


# -- entries ---------------------------------------------------------------------------------


class EntryOut(BaseModel):
    """One line of an account's balance history."""

    id: int = Field(description="the entry's id, increasing with time", examples=[48213])
    account_id: UUID = Field(description="the account whose balance moved", examples=[ACCOUNT_ID])
    transfer_id: UUID = Field(description="the transfer it is one side of", examples=[TRANSFER_ID])
    type: TransferType = Field(description="the transfer's type", examples=["order_payment"])
    currency: str = Field(description="the currency code", examples=["CNY"])
    amount: SignedAmount
    balance_before: str = Field(
        description="the account's posted balance before", examples=["100.00"]
    )
    balance_after: str = Field(description="and after", examples=["69.50"])
    sequence: int = Field(description="1, 2, 3... per account and currency", examples=[2])
    order_number: str | None = Field(description="the transfer's order", examples=["ORD-1"])
    receipt_id: str | None = Field(description="the channel's receipt", examples=[None])
    invoice_id: str | None = Field(description="the invoice", examples=[None])
    channel: str | None = Field(description="payment channel / pay way", examples=[None])
    country_code: str | None = Field(description="the order's country", examples=["CN"])
    tags: list[str] = Field(description="the transfer's labels", examples=[["books"]])
    note: str | None = Field(description="the transfer's remark", examples=["two books"])
    operator: str | None = Field(description="who made the transfer", examples=["shop-backend"])
    created_at: datetime = Field(description="when it was written (UTC)", examples=[CREATED_AT])


# -- reports ---------------------------------------------------------------------------------


class TypeTotalsOut(BaseModel):
    type: TransferType = Field(description="the transfer type totalled", examples=["topup"])
    credits: str = Field(description="money in: the sum of positive entries", examples=["300.00"])
    debits: str = Field(
        description="money out: the sum of negative entries, as a positive number",
        examples=["0.00"],
    )
    net: str = Field(description="credits - debits", examples=["300.00"])
    count: int = Field(description="entries of this type in the period", examples=[3])


class SummaryRowOut(BaseModel):
    """One period in one currency: closing = opening + net = the next period's opening."""

    period: str = Field(
        description="the local day (2026-01-31) or month (2026-01)", examples=["2026-01"]
    )
    start: datetime = Field(
        description="the period's first instant (local midnight, in UTC)",
        examples=["2025-12-31T16:00:00Z"],
    )
    end: datetime = Field(
        description="the next period's first instant (exclusive)",
        examples=["2026-01-31T16:00:00Z"],
    )
    currency: str = Field(description="the currency of every amount in the row", examples=["CNY"])
    opening: str = Field(description="the balance at `start`", examples=["100.00"])
    credits: str = Field(description="money in during the period", examples=["300.00"])
    debits: str = Field(
        description="money out during the period, as a positive number", examples=["30.50"]
    )
    net: str = Field(description="credits - debits", examples=["269.50"])
    closing: str = Field(description="opening + net: the balance at `end`", examples=["369.50"])
    count: int = Field(description="entries in the period", examples=[4])
    by_type: list[TypeTotalsOut] | None = Field(
        description="with by_type=true: the same totals per transfer type"
    )


class SummaryOut(BaseModel):
    account_id: UUID | None = Field(
        description="null: every customer account in view", examples=[ACCOUNT_ID]
    )
    include_sub_accounts: bool = Field(
        description="true: the account and all its sub-accounts together", examples=[False]
    )
    period: str = Field(description="`day` or `month`", examples=["month"])
    time_zone: str = Field(
        description="the tenant's time zone: days and months are its", examples=["Asia/Shanghai"]
    )
    rows: list[SummaryRowOut] = Field(
        description="one per period and currency, oldest first; periods without entries too"
    )


class StatementSectionOut(BaseModel):
    """One currency: opening + credits - debits = closing, and every entry in between."""

    currency: str = Field(description="the section's currency", examples=["CNY"])
    opening: str = Field(description="the balance at the period's start", examples=["100.00"])
    credits: str = Field(description="money in during the period", examples=["300.00"])
    debits: str = Field(
        description="money out during the period, as a positive number", examples=["30.50"]
    )
    closing: str = Field(description="the balance at the period's end", examples=["369.50"])
    entries: list[EntryOut] = Field(description="oldest first")


class StatementOut(BaseModel):
    tenant_name: str = Field(description="whose statement it is", examples=["Demo Platform"])
    account_id: UUID = Field(description="the account", examples=[ACCOUNT_ID])
    account_external_id: str = Field(
        description="the account's id in your system", examples=["user-42"]
    )
    account_name: str = Field(description="the account's name", examples=["Alice Chen"])
    period_from: date = Field(description="first local day", examples=["2026-01-01"])
    period_to: date = Field(description="last local day, included", examples=["2026-01-31"])
    time_zone: str = Field(
        description="the tenant's time zone: the days are its", examples=["Asia/Shanghai"]
    )
    start: datetime = Field(
        description="the first instant of the period, in UTC", examples=["2025-12-31T16:00:00Z"]
    )
    end: datetime = Field(
        description="the instant after the period (exclusive), in UTC",
        examples=["2026-01-31T16:00:00Z"],
    )
    sections: list[StatementSectionOut] = Field(description="one per currency the account uses")


# -- keys and currencies ---------------------------------------------------------------------


class ApiKeyCreate(Strict):
    name: Name = Field(description="what the key is for", examples=["shop backend"])
    role: Role = Field(
        description="`read`, `write` (also moves money) or `admin` (also keys, currencies)",
        examples=["write"],
    )
    account_id: UUID | None = Field(
        None,
        description="scope the key to this account and its sub-accounts",
        examples=[ACCOUNT_ID],
    )


class ApiKeyOut(BaseModel):
    id: UUID = Field(description="the key's id (not the key)", examples=[KEY_ID])
    name: str = Field(description="what the key is for", examples=["shop backend"])
    role: Role = Field(description="what it may do", examples=["write"])
    account_id: UUID | None = Field(
        description="the account it is scoped to, if any", examples=[None]
    )
    key_hint: str = Field(description="the key's last four characters", examples=["x9Qz"])
    created_at: datetime = Field(description="when it was issued (UTC)", examples=[CREATED_AT])
    revoked_at: datetime | None = Field(
        description="when it was revoked; it works until then", examples=[None]
    )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(
        description="the key itself: shown this once, never again",
        examples=["tb_3kq7V0c2yWm9Hn1Ls8Rd4Tp6Zb5Xf0Jg2Ae7Uo1Ki9M"],
    )


class CurrencyConfigure(Strict):
    decimals: StrictInt | None = Field(
        None,
        ge=0,
        le=8,
        description="minor-unit digits; default ISO 4217 (2 for CNY, 0 for JPY)",
        examples=[3],
    )


class CurrencyOut(BaseModel):
    code: str = Field(description="the currency code", examples=["USD"])
    decimals: int = Field(description="digits after the decimal point", examples=[3])


def decimal_of(amount: str) -> Decimal:
    """A validated amount string as an exact Decimal."""
    return Decimal(amount)
