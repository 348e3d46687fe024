"""What a list of accounts, transfers or entries asks for, and the page it gets back.

Listing is keyset pagination: a page ends at a key (an id; in the balance history, an entry's
position) and the next page starts after it, so reading the millionth page costs what reading
the first does. Amount bounds are exact
decimals of the query's currency; the core converts them with the tenant's decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

from tallybook.model import (
    AccountKind,
    AccountStatus,
    Entry,
    References,
    TransferStatus,
    TransferType,
)

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class HistoryPosition:
    """Where an entry stands in the balance history, ordered by (created_at, id): the key a
    history page ends at.

    Why the time as well as the id: the next page's statement then starts from the position
    as given, where from an id alone it had to read the entry's time first, in the live table
    and the archive (a third of a deep page's planning and execution on PostgreSQL).
    `created_at` is None for a position known only by its entry's id (a cursor from before
    positions carried their time); the reader then looks the time up.

    Its text (`str`, `parse`) is `id@time` (ISO 8601, UTC), or the id alone.
    """

    entry_id: int
    created_at: datetime | None = None

    def __str__(self) -> str:
        if self.created_at is None:
            return str(self.entry_id)
        return f"{self.entry_id}@{self.created_at.astimezone(UTC).isoformat()}"

    @classmethod
    def parse(cls, text: str) -> HistoryPosition:
        """Raises ValueError for text `str` does not write."""
        entry_id, separator, moment = text.partition("@")
        if not separator:
            return cls(int(entry_id))
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None:
            raise ValueError("a position's time has a zone")
        return cls(int(entry_id), created_at.astimezone(UTC))


Item = TypeVar("Item")
Key = TypeVar("Key", int, UUID, HistoryPosition)


@dataclass(frozen=True, slots=True)
class Page(Generic[Item, Key]):
    """One page, and the key to continue after (None on the last page)."""

    items: Sequence[Item]
    next_key: Key | None


@dataclass(frozen=True, slots=True)
class Window(Generic[Key]):
    """Where a page starts and how it runs: `after` is the last key of the previous page."""

    limit: int = 100
    after: Key | None = None
    newest_first: bool = True


@dataclass(frozen=True, slots=True)
class Slice:
    """Rows `offset` to `offset + limit` of a list: the page-number and offset pagination
    the seed APIs speak. A deep slice costs what skipping the rows before it costs, which is
    why the native API keeps keyset pagination."""

    offset: int = 0
    limit: int = 100
    newest_first: bool = True


@dataclass(frozen=True, slots=True)
class CountedPage(Generic[Item]):
    """A slice of a list and how many rows the whole list has, read in one transaction."""

    items: Sequence[Item]
    total: int


@dataclass(frozen=True, slots=True)
class AccountQuery:
    """Filters of the account list; `within` limits it to a key's scope (None: whole tenant)."""

    tenant_id: UUID
    parent_id: UUID | None = None
    external_id: str | None = None
    status: AccountStatus | None = None
    kind: AccountKind | None = None
    tag: str | None = None
    name_contains: str | None = None
    within: frozenset[UUID] | None = None


@dataclass(frozen=True, slots=True)
class TransferQuery:
    """Filters of the transfer list; `account_id` matches either side."""

    tenant_id: UUID
    account_ids: frozenset[UUID] | None = None
    type: TransferType | None = None
    status: TransferStatus | None = None
    currency: str | None = None
    order_number: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    within: frozenset[UUID] | None = None


class HistorySource(StrEnum):
    """Which rows of the balance history a read covers: archiving moves old entries out of
    the live table, and every read sees both unless told otherwise."""

    ALL = "all"
    LIVE = "live"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class EntryQuery:
    """Filters of the balance history. `amount_min`/`amount_max` bound the entry's absolute
    amount and need `currency`; `created_to` is exclusive. `account_kind` CUSTOMER leaves out
    the system accounts' side of every transfer. The history is ordered by (created_at, id):
    time order, ties in the order they were written."""

    tenant_id: UUID
    account_ids: frozenset[UUID] | None = None
    type: TransferType | None = None
    currency: str | None = None
    order_number: str | None = None
    country_code: str | None = None
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    within: frozenset[UUID] | None = None
    source: HistorySource = HistorySource.ALL
    account_kind: AccountKind | None = None


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One entry of the balance history with what the transfer that wrote it says about it:
    its type and references (the rest of the transfer is a page read of its own)."""

    entry: Entry
    type: TransferType
    references: References


@dataclass(frozen=True, slots=True)
class BalanceAt:
    """A posted balance in one currency at a moment, and how many entries made it.

    For an account with its sub-accounts, both are sums over the accounts. Holds write no
    entries, so only the posted balance has a history; `held` exists only for now.
    """

    currency: str
    posted: int
    entry_count: int
