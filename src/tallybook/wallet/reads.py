"""Reading the flows' records back: each read in a short read transaction of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from tallybook.ledger import Ledger
from tallybook.ledger.errors import NotFound

T = TypeVar("T")


def read(ledger: Ledger, reader: Callable[[Connection], T]) -> T:
    with ledger.database.read() as connection:
        return reader(connection)


def read_one(ledger: Ledger, reader: Callable[[Connection], T | None], missing: NotFound) -> T:
    """The record `reader` finds, or `missing` raised."""
    found = read(ledger, reader)
    if found is None:
        raise missing
    return found
