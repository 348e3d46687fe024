"""The `Idempotency-Key` header and the replay marker on answers.

The key itself is claimed by the core, in the transaction that writes the transfer, so a
retried request moves money once however it races. This module only carries the header in
and marks a replayed answer (`Idempotent-Replayed: true`), whose body is the first answer's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from tallybook.ledger.limits import MAX_IDEMPOTENCY_KEY_LENGTH

REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        description="retry-safe writes: the same key and body answer the first response again",
        examples=["order-1-payment"],
    ),
]


def mark_replay(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers[REPLAY_HEADER] = "true"
