"""A builder makes the same frozen value its class's constructor does, and refuses classes it
would get wrong."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime
from uuid import UUID

import pytest

from tallybook.ledger.queries import HistoryLine
from tallybook.model import Entry, References, TransferType
from tallybook.storage.value_builders import builder

ENTRY_VALUES = (
    7,
    UUID("0190a000-0000-7000-8000-000000000001"),
    UUID("0190a000-0000-7000-8000-000000000002"),
    UUID("0190a000-0000-7000-8000-000000000003"),
    "CNY",
    -1250,
    10_000,
    8750,
    3,
    datetime(2026, 12, 6, 23, 30, tzinfo=UTC),
    "ab" * 32,
)
REFERENCE_VALUES = ("ORD-7", None, None, "wechat", "CN", ("books",), "two books", None, {"a": 1})


def test_a_built_value_is_the_constructed_one_frozen_equal_and_hashing_alike() -> None:
    built = builder(Entry)(*ENTRY_VALUES)
    made = Entry(*ENTRY_VALUES)

    assert type(built) is Entry
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert pickle.loads(pickle.dumps(built)) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.amount = 0  # type: ignore[misc]


def test_values_nest_as_the_constructors_would() -> None:
    references = builder(References)(*REFERENCE_VALUES)
    line = builder(HistoryLine)(
        builder(Entry)(*ENTRY_VALUES), TransferType.ORDER_PAYMENT, references
    )

    assert line == HistoryLine(
        Entry(*ENTRY_VALUES), TransferType.ORDER_PAYMENT, References(*REFERENCE_VALUES)
    )
    assert dataclasses.replace(line.references, note="edited").note == "edited"


def test_classes_that_are_not_frozen_and_slotted_or_check_their_values_are_refused() -> None:
    @dataclasses.dataclass(slots=True)
    class Unfrozen:
        value: int

    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        value: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    for refused in (Unfrozen, Unslotted, Checked):
        with pytest.raises(TypeError):
            builder(refused)
