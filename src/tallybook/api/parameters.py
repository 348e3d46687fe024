"""Path and query parameters the routers share, each with its description and example, so
the OpenAPI document explains every one of them the same way wherever it appears."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import Path, Query

from tallybook.api.schemas import (
    ACCOUNT_ID,
    AMOUNT_PATTERN,
    CURRENCY_PATTERN,
    KEY_ID,
    PARENT_ID,
    TRANSFER_ID,
    Timestamp,
)
from tallybook.api.wallet_schemas import ORDER_ID, TENANT_ID, TOPUP_ID, WITHDRAWAL_ID
from tallybook.ledger.limits import (
    MAX_CHANNEL_LENGTH,
    MAX_COUNTRY_CODE_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TAG_LENGTH,
)
from tallybook.model import TransferType
from tallybook.wallet.settings import CHANNEL_NAME

AccountIdPath = Annotated[UUID, Path(description="the account's id", examples=[ACCOUNT_ID])]
ParentIdPath = Annotated[UUID, Path(description="the parent account's id", examples=[PARENT_ID])]
TransferIdPath = Annotated[UUID, Path(description="the transfer's id", examples=[TRANSFER_ID])]
KeyIdPath = Annotated[UUID, Path(description="the key's id (not the key)", examples=[KEY_ID])]
CurrencyCodePath = Annotated[
    str,
    Path(
        pattern=CURRENCY_PATTERN,
        description="ISO 4217 code or one of the tenant's own",
        examples=["USD"],
    ),
]
TopUpIdPath = Annotated[UUID, Path(description="the top-up's id", examples=[TOPUP_ID])]
WithdrawalIdPath = Annotated[
    UUID, Path(description="the withdrawal's id", examples=[WITHDRAWAL_ID])
]
OrderIdPath = Annotated[UUID, Path(description="the order's id", examples=[ORDER_ID])]
TenantIdPath = Annotated[UUID, Path(description="the tenant's id", examples=[TENANT_ID])]
ChannelPath = Annotated[
    str,
    Path(
        pattern=CHANNEL_NAME.pattern,
        description="a payment channel's name: 2 to 64 lower-case letters, digits or `_`, "
        "starting with a letter",
        examples=["alipay"],
    ),
]

TypeFilter = Annotated[
    TransferType | None, Query(description="only transfers of this type", examples=["topup"])
]
CurrencyFilter = Annotated[
    str | None, Query(max_length=10, description="only this currency", examples=["CNY"])
]
OrderNumberFilter = Annotated[
    str | None,
    Query(
        max_length=MAX_REFERENCE_LENGTH,
        description="only transfers for this order",
        examples=["ORD-20260115-001"],
    ),
]
CountryCodeFilter = Annotated[
    str | None,
    Query(
        max_length=MAX_COUNTRY_CODE_LENGTH,
        description="only transfers for this country",
        examples=["CN"],
    ),
]
TagFilter = Annotated[
    str | None,
    Query(max_length=MAX_TAG_LENGTH, description="only rows with this tag", examples=["vip"]),
]
OwnerFilter = Annotated[
    UUID | None,
    Query(description="only this account's (not its sub-accounts')", examples=[ACCOUNT_ID]),
]
ChannelFilter = Annotated[
    str | None,
    Query(
        max_length=MAX_CHANNEL_LENGTH,
        description="only this payment channel's",
        examples=["alipay"],
    ),
]
CreatedFrom = Annotated[
    Timestamp | None,
    Query(description="only rows created at or after this time (ISO 8601 with an offset)"),
]
CreatedTo = Annotated[
    Timestamp | None,
    Query(description="only rows created before this time (exclusive; ISO 8601 with an offset)"),
]
FirstDay = Annotated[
    date,
    Query(alias="from", description="first local day, YYYY-MM-DD", examples=["2026-01-01"]),
]
LastDay = Annotated[
    date, Query(alias="to", description="last local day, included", examples=["2026-01-31"])
]
IncludeSubAccounts = Annotated[
    bool,
    Query(description="with `account_id`: its sub-accounts too", examples=[True]),
]
AmountBound = Annotated[
    str | None,
    Query(
        pattern=AMOUNT_PATTERN,
        max_length=40,
        description="bound on the entry's absolute amount, inclusive (needs `currency`)",
        examples=["10.00"],
    ),
]
