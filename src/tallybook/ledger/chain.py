"""The hash chain over each account's entries in one currency.

Each entry's hash covers the previous entry's hash and this entry's content, so changing,
removing or reordering any stored entry breaks every hash after it: `verify` finds it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from uuid import UUID

GENESIS_HASH = "0" * 64


def entry_hash(
    previous_hash: str | None,
    *,
    transfer_id: UUID,
    account_id: UUID,
    currency: str,
    amount: int,
    balance_before: int,
    balance_after: int,
    sequence: int,
    created_at: datetime,
) -> str:
    """The hash of one entry, chained on `previous_hash` (None for an account's first entry)."""
    content = (
        f"{previous_hash or GENESIS_HASH}|{transfer_id}|{account_id}|{currency}|{amount}|"
        f"{balance_before}|{balance_after}|{sequence}|{_timestamp(created_at)}"
    )
    return hashlib.sha256(content.encode()).hexdigest()


@lru_cache(maxsize=4)
def _timestamp(created_at: datetime) -> str:
    """How an entry's time is hashed. Remembered because every entry of a batch has the
    batch's time: worked out again for each, it was a fifth of hashing an entry."""
    return created_at.astimezone(UTC).isoformat(timespec="microseconds")
