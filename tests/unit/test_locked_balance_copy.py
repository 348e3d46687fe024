"""A locked balance's working copy: every field kept, and editing it leaves the original."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tallybook.storage.locked_rows import LockedBalance


def test_the_copy_keeps_every_field_and_is_edited_apart() -> None:
    # A value for every field unlike its default: a field added later and left out of
    # `copy` would come back as its default, or make the constructor fail.
    values: dict[str, Any] = {
        field.name: index + 1 if field.type == "int" else None
        for index, field in enumerate(dataclasses.fields(LockedBalance))
    }
    values |= {
        "account_id": UUID(int=1),
        "currency": "CNY",
        "tenant_id": UUID(int=2),
        "last_entry_hash": "f" * 64,
        "last_entry_at": datetime(2026, 12, 7, tzinfo=UTC),
        "is_new": True,
    }
    balance = LockedBalance(**values)

    working = balance.copy()
    working.posted += 100

    assert dataclasses.replace(working, posted=balance.posted) == balance
    assert balance.posted == values["posted"]
    assert None not in dataclasses.asdict(balance).values()  # every field was given a value
