"""One entry row as the engine writes it, chained to the account's head: what the bulk
history loader and the raw-driver baselines write without going through Tallybook, so that
`tallybook verify` checks their rows like any other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tallybook.ledger.chain import entry_hash


@dataclass(frozen=True)
class ChainedEntry:
    """The row to insert (entries' column order, without `id`) and the head it leaves."""

    row: tuple[object, ...]
    balance_after: int
    sequence: int
    hash: str


def chained_entry(
    tenant_id: UUID,
    transfer_id: UUID,
    account_id: UUID,
    currency: str,
    signed_amount: int,
    head: tuple[int, int, str | None],
    moment: datetime,
) -> ChainedEntry:
    """The entry of `signed_amount` on an account whose head is (posted balance, last
    sequence, last hash)."""
    posted, last_sequence, last_hash = head
    after, sequence = posted + signed_amount, last_sequence + 1
    digest = entry_hash(
        last_hash,
        transfer_id=transfer_id,
        account_id=account_id,
        currency=currency,
        amount=signed_amount,
        balance_before=posted,
        balance_after=after,
        sequence=sequence,
        created_at=moment,
    )
    row = (
        tenant_id, transfer_id, account_id, currency, signed_amount, posted, after, sequence,
        moment, digest,
    )  # fmt: skip
    return ChainedEntry(row, after, sequence, digest)
