"""The `Idempotency-Key` header and the replay marker on answers.

The key itself is claimed by the core, in the transaction that writes the transfer, so a
retried request moves money once however it races. This module only carries the header in
and marks a replayed answer (`Idempotent-Replayed: true`), whose body is the first answer's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request, Response

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


def well_formed_idempotency_key(request: Request) -> bool:
    """Whether the request's `Idempotency-Key`, if any, meets `IdempotencyKey`'s limits
    (for `DirectRoute` resolvers, which leave a malformed one to FastAPI to refuse)."""
    key = request.headers.get("idempotency-key")
    return key is None or 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH


def mark_replay(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers[REPLAY_HEADER] = "true"
