"""Money parsing: exact decimals to integer minor units, never rounded, never floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallybook.ledger.errors import InvalidAmount, InvalidCurrency
from tallybook.ledger.money import (
    MAX_AMOUNT_MINOR,
    default_decimals,
    format_minor_units,
    to_minor_units,
    validate_currency_code,
)


@pytest.mark.parametrize(
    ("text", "decimals", "minor"),
    [
        ("12.50", 2, 1250),
        ("12.5", 2, 1250),
        ("5.175", 3, 5175),
        ("115", 2, 11500),
        ("7", 0, 7),
        ("0.01", 2, 1),
        ("1.000", 2, 100),
    ],
)
def test_exact_amounts_become_minor_units(text: str, decimals: int, minor: int) -> None:
    assert to_minor_units(text, decimals) == minor
    assert to_minor_units(Decimal(text), decimals) == minor


@pytest.mark.parametrize(
    ("value", "decimals"),
    [
        ("1.001", 2),
        ("0.5", 0),
        ("0", 2),
        ("-1", 2),
        ("0.00", 2),
        ("1e3", 2),
        ("12,50", 2),
        (" 1", 2),
        ("", 2),
        ("NaN", 2),
        (Decimal("Infinity"), 2),
        (Decimal("NaN"), 2),
    ],
)
def test_inexact_or_non_positive_amounts_are_refused(value: str | Decimal, decimals: int) -> None:
    with pytest.raises(InvalidAmount) as refused:
        to_minor_units(value, decimals, field="amount")
    assert refused.value.field == "amount"


def test_floats_are_refused_even_when_they_look_exact() -> None:
    floating: Any = 12.5
    with pytest.raises(InvalidAmount, match="never a float"):
        to_minor_units(floating, 2)


def test_amounts_beyond_the_ledger_limit_are_refused() -> None:
    with pytest.raises(InvalidAmount, match="larger"):
        to_minor_units(str(MAX_AMOUNT_MINOR + 1), 0)


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=0, max_value=8))
def test_formatting_then_parsing_gives_the_same_minor_units(minor: int, decimals: int) -> None:
    text = format_minor_units(minor, decimals)
    assert Decimal(text).scaleb(decimals) == minor
    if minor > 0:
        assert to_minor_units(text, decimals) == minor


def test_formatting_pads_to_the_currency_decimals() -> None:
    assert format_minor_units(5, 2) == "0.05"
    assert format_minor_units(-5175, 3) == "-5.175"
    assert format_minor_units(42, 0) == "42"


def test_currency_codes_and_iso_defaults() -> None:
    assert default_decimals("JPY") == 0 and default_decimals("BHD") == 3
    assert default_decimals("POINTS") is None
    assert validate_currency_code("USDT") == "USDT"
    with pytest.raises(InvalidCurrency):
        validate_currency_code("usd")
