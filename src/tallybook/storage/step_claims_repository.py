"""The idempotency claims of wallet-flow steps: one row per (tenant, key), naming the record
the first request changed, so a retry can answer it again."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, insert, select, tuple_

from tallybook.storage.posting_repository import chunked
from tallybook.storage.tables import step_claims


@dataclass(frozen=True, slots=True)
class StepClaim:
    tenant_id: UUID
    idempotency_key: str
    request_hash: str
    record_kind: str
    record_name: str
    created_at: datetime


def find(
    connection: Connection, keys: Collection[tuple[UUID, str]]
) -> dict[tuple[UUID, str], StepClaim]:
    """The claims already made for these (tenant, key) pairs."""
    found: dict[tuple[UUID, str], StepClaim] = {}
    for chunk in chunked(sorted(keys)):
        query = select(step_claims).where(
            tuple_(step_claims.c.tenant_id, step_claims.c.idempotency_key).in_(chunk)
        )
        for row in connection.execute(query):
            claim = StepClaim(**row._mapping)
            found[(claim.tenant_id, claim.idempotency_key)] = claim
    return found


def add(connection: Connection, claims: Sequence[StepClaim]) -> None:
    """Claim the keys; a key another process claimed first fails the batch (it is retried)."""
    if claims:
        connection.execute(insert(step_claims), [asdict(claim) for claim in claims])
