"""Opaque cursors for keyset pagination, and the list envelope.

A cursor is the last key of a page and the order it was read in, base64url-encoded JSON. It
is opaque to clients on purpose: only "pass `next_cursor` back" is promised. A cursor used
with the other order is refused, since it would skip or repeat rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Generic
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, Field

from tallybook.ledger import errors
from tallybook.ledger.queries import MAX_PAGE_SIZE, HistoryPosition, Item, Key, Window


class Order(StrEnum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


LimitParameter = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE_SIZE, description=f"page size, 1 to {MAX_PAGE_SIZE}", examples=[100]),
]
CursorParameter = Annotated[
    str | None,
    Query(
        max_length=200,
        description="`next_cursor` of the previous page; omit for the first",
        examples=["eyJrIjoiMDE5NDdhM2QtMmE0MCIsIm8iOiJuZXdlc3RfZmlyc3QifQ"],
    ),
]
OrderParameter = Annotated[
    Order, Query(description="newest or oldest first", examples=["newest_first"])
]


class ListPage(BaseModel, Generic[Item]):
    """One page of a list; follow `next_cursor` until it is null."""

    data: list[Item] = Field(description="this page's rows, in the order asked for")
    has_more: bool = Field(description="whether another page follows", examples=[True])
    next_cursor: str | None = Field(
        description="pass as `cursor` to read the next page; null on the last",
        examples=["eyJrIjoiMDE5NDdhM2QtMmE0MCIsIm8iOiJuZXdlc3RfZmlyc3QifQ"],
    )


def encode_cursor(key: int | UUID | HistoryPosition, order: Order) -> str:
    payload = json.dumps({"k": str(key), "o": order.value}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode(cursor: str, order: Order) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key, cursor_order = payload["k"], payload["o"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise errors.ValidationError("not a cursor this API gave out", field="cursor") from exc
    if cursor_order != order.value or not isinstance(key, str):
        raise errors.ValidationError("the cursor belongs to the other order", field="cursor")
    return key


def window(
    limit: int, cursor: str | None, order: Order, parse: Callable[[str], Key]
) -> Window[Key]:
    """The page `cursor` points at; `parse` turns the stored key back into an id (UUID) or a
    position in the balance history (`HistoryPosition.parse`)."""
    after = None
    if cursor is not None:
        try:
            after = parse(_decode(cursor, order))
        except ValueError as exc:
            raise errors.ValidationError("not a cursor this API gave out", field="cursor") from exc
    return Window(limit=limit, after=after, newest_first=order is Order.NEWEST_FIRST)


def page_of(items: list[Item], next_key: int | UUID | None, order: Order) -> ListPage[Item]:
    cursor = None if next_key is None else encode_cursor(next_key, order)
    return ListPage(data=items, has_more=cursor is not None, next_cursor=cursor)
