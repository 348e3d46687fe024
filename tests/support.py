"""Helpers shared by the tests: a clock the test moves, and a funded-ledger builder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from tallybook.auth.cache import KeyCache
from tallybook.ledger import CreateTransfer, Ledger
from tallybook.model import References, SystemAccount, Tenant, TransferType


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 15, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class Stopwatch:
    """A monotonic clock (seconds, as `time.monotonic`) that stands still until the test
    moves it."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def remembering_for(ledger: Ledger, ttl_seconds: float) -> Stopwatch:
    """Give `ledger` a key cache of `ttl_seconds` on a clock the test moves."""
    stopwatch = Stopwatch()
    ledger.key_cache = KeyCache(ttl_seconds, monotonic=stopwatch)
    return stopwatch


@dataclass(frozen=True)
class Book:
    """A tenant set up for a test: one currency, its system accounts, two customers."""

    tenant: Tenant
    currency: str
    world: UUID
    revenue: UUID
    alice: UUID
    bob: UUID


def open_book(ledger: Ledger, currency: str = "CNY", decimals: int | None = None) -> Book:
    tenant = ledger.create_tenant("Test Platform")
    ledger.configure_currency(tenant.id, currency, decimals)
    return Book(
        tenant=tenant,
        currency=currency,
        world=ledger.system_account(tenant.id, SystemAccount.WORLD, currency).id,
        revenue=ledger.system_account(tenant.id, SystemAccount.REVENUE, currency).id,
        alice=ledger.create_account(tenant.id, "alice", "Alice").id,
        bob=ledger.create_account(tenant.id, "bob", "Bob").id,
    )


def top_up(ledger: Ledger, book: Book, account_id: UUID, amount: str) -> None:
    ledger.execute(
        CreateTransfer(
            book.tenant.id,
            book.world,
            account_id,
            Decimal(amount),
            book.currency,
            TransferType.TOPUP,
        )
    )


def pay(
    book: Book, amount: str, *, key: str | None = None, pending: bool = False
) -> CreateTransfer:
    """Alice pays the platform for an order (a hold, with `pending`)."""
    return CreateTransfer(
        book.tenant.id,
        book.alice,
        book.revenue,
        Decimal(amount),
        book.currency,
        TransferType.ORDER_PAYMENT,
        References(order_number="ORD-1", country_code="CN"),
        pending=pending,
        idempotency_key=key,
    )


def available(ledger: Ledger, book: Book, account_id: UUID) -> int:
    return ledger.balance(book.tenant.id, account_id, book.currency).available
