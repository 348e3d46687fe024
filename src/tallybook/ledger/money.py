"""Money on the wire is a decimal string; inside it is an integer of minor units.

Why: floats cannot hold 0.1 exactly, and rounding someone's money silently is a bug. So an
amount is parsed exactly, and one with more decimals than its currency allows is refused
rather than rounded. The number of decimals is a per-tenant currency setting (seed 002 shows
USD with three), with ISO 4217 values as defaults.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from tallybook.ledger.errors import InvalidAmount, InvalidCurrency

# ISO 4217 minor-unit exponents for the currencies a tenant is likely to configure. A currency
# not listed here needs its decimals given explicitly when the tenant configures it.
ISO_4217_DECIMALS: dict[str, int] = {
    "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2, "CZK": 2,
    "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0,
    "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NOK": 2, "NZD": 2, "OMR": 3,
    "PHP": 2, "PLN": 2, "RUB": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2,
    "TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip

MAX_DECIMALS = 8
# Minor units must fit a signed 64-bit column with room for sums; 10^15 minor units is
# ten trillion in a two-decimal currency.
MAX_AMOUNT_MINOR = 10**15

_CURRENCY_CODE = re.compile(r"^[A-Z][A-Z0-9]{2,9}$")
_DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def validate_currency_code(code: str) -> str:
    """Return `code` if it is a currency code (3 to 10 upper-case letters or digits)."""
    if not _CURRENCY_CODE.match(code):
        raise InvalidCurrency(code, "a currency code is 3 to 10 upper-case letters or digits")
    return code


def default_decimals(code: str) -> int | None:
    """The ISO 4217 number of decimals of `code`, or None when it is not a known currency."""
    return ISO_4217_DECIMALS.get(code)


def to_minor_units(amount: Decimal | str, decimals: int, *, field: str = "amount") -> int:
    """Convert an exact decimal amount to integer minor units, refusing anything inexact.

    Raises InvalidAmount when the text is not a plain decimal number, has more than `decimals`
    fraction digits (after dropping trailing zeros), is not positive, or is too large.
    """
    if isinstance(amount, str):
        if not _DECIMAL_TEXT.match(amount):
            raise InvalidAmount(field, f"{amount!r} is not a decimal number like '12.50'")
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid text
            raise InvalidAmount(field, f"{amount!r} is not a decimal number") from exc
    elif isinstance(amount, Decimal):
        if not amount.is_finite():
            raise InvalidAmount(field, "the amount must be a finite number")
        value = amount
    else:
        raise InvalidAmount(field, "the amount must be a decimal string, never a float")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(field, f"{value} has more than {decimals} decimals for this currency")
    minor = int(scaled)
    if minor <= 0:
        raise InvalidAmount(field, "the amount must be greater than zero")
    if minor > MAX_AMOUNT_MINOR:
        raise InvalidAmount(field, "the amount is larger than the ledger accepts")
    return minor


def format_minor_units(minor: int, decimals: int) -> str:
    """Render minor units as a decimal string with exactly `decimals` fraction digits."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(decimals + 1, "0")
    if decimals == 0:
        return f"{sign}{digits}"
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"
