"""The decimals of the currencies that hold balances, remembered once seen.

Why remembering is safe: `accounts.configure_currency` refuses to change the decimals of a
currency that holds balances, and a balance row is never deleted, so decimals seen for a
currency in use stay true for good. The engine remembers those of every existing balance a
batch locks, and then need not read the tenant's currencies for the next batch on them; the
API remembers those of the transfers it presents.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from uuid import UUID

CurrencyKey = tuple[UUID, str]  # (tenant id, currency code)


class DecimalsInUse:
    """A map of (tenant, currency) to decimals that only grows. Shared by the engine thread
    and the request threads: each call is one dict operation, which the GIL keeps whole."""

    def __init__(self) -> None:
        self._known: dict[CurrencyKey, int] = {}

    def known(self, keys: Collection[CurrencyKey]) -> dict[CurrencyKey, int] | None:
        """The decimals of every key, if all are remembered; else None (read them)."""
        known = self._known
        try:
            return {key: known[key] for key in keys}
        except KeyError:
            return None

    def remember(self, decimals: Mapping[CurrencyKey, int]) -> None:
        """Remember these, each of a currency known to hold balances."""
        self._known.update(decimals)
