"""`Ledger`: the one object every surface (API, seed adapters, CLI) calls.

It owns the database handle and the posting engine. Money moves only through `execute` /
`submit` (the engine's batches); set-up calls run in their own short transactions. Every
method raises only `LedgerError` subclasses on purpose; each is documented where it is made
(`accounts`, `posting`).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from decimal import Decimal
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from tallybook.ledger import accounts
from tallybook.ledger.clock import Clock, SystemClock
from tallybook.ledger.commands import Command, PostingResult
from tallybook.ledger.engine import PostingEngine
from tallybook.ledger.errors import TransferNotFound
from tallybook.ledger.verify import VerifyReport, verify
from tallybook.model import (
    Account,
    AccountStatus,
    Balance,
    Currency,
    Entry,
    SystemAccount,
    Tenant,
    Transfer,
)
from tallybook.settings import Settings
from tallybook.storage import history_repository
from tallybook.storage.database import Database


class Ledger:
    """The core's public face. Start it (or use it as a context manager) before moving money."""

    def __init__(
        self, database: Database, *, clock: Clock | None = None, settings: Settings | None = None
    ) -> None:
        settings = settings or Settings()
        self.database = database
        self.clock: Clock = clock or SystemClock()
        self.engine = PostingEngine(
            database,
            self.clock,
            max_batch_commands=settings.engine_max_batch_commands,
            max_attempts=settings.engine_max_attempts,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Ledger:
        database = Database(settings.database_url, pool_size=settings.database_pool_size)
        return cls(database, settings=settings)

    def start(self) -> None:
        self.engine.start()

    def close(self) -> None:
        """Finish queued commands, stop the engine, release connections."""
        self.engine.stop()
        self.database.dispose()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- moving money ---------------------------------------------------------------------

    def execute(self, command: Command) -> PostingResult:
        """Apply `command` and wait for its commit. Raises the LedgerError that refused it."""
        return self.engine.execute(command)

    def submit(self, command: Command) -> Future[PostingResult]:
        """Queue `command` without waiting (for async callers: `asyncio.wrap_future`)."""
        return self.engine.submit(command)

    # -- tenants, currencies, accounts ------------------------------------------------------

    def create_tenant(self, name: str, *, time_zone: str = "UTC") -> Tenant:
        with self.database.write() as connection:
            return accounts.create_tenant(connection, name, time_zone, self.clock.now())

    def configure_currency(
        self, tenant_id: UUID, code: str, decimals: int | None = None
    ) -> Currency:
        with self.database.write() as connection:
            return accounts.configure_currency(
                connection, tenant_id, code, decimals, self.clock.now()
            )

    def create_account(
        self,
        tenant_id: UUID,
        external_id: str,
        name: str,
        *,
        parent_id: UUID | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: tuple[str, ...] = (),
        payout_profile: Mapping[str, Any] | None = None,
    ) -> Account:
        with self.database.write() as connection:
            return accounts.create_account(
                connection,
                tenant_id,
                external_id=external_id,
                name=name,
                parent_id=parent_id,
                metadata=metadata or {},
                tags=tags,
                payout_profile=payout_profile or {},
                now=self.clock.now(),
            )

    def system_account(self, tenant_id: UUID, which: SystemAccount, currency: str) -> Account:
        with self.database.write() as connection:
            return accounts.system_account(connection, tenant_id, which, currency, self.clock.now())

    def freeze(self, tenant_id: UUID, account_id: UUID) -> Account:
        return self._change_status(tenant_id, account_id, AccountStatus.FROZEN)

    def unfreeze(self, tenant_id: UUID, account_id: UUID) -> Account:
        return self._change_status(tenant_id, account_id, AccountStatus.ACTIVE)

    def close_account(self, tenant_id: UUID, account_id: UUID) -> Account:
        return self._change_status(tenant_id, account_id, AccountStatus.CLOSED)

    def set_credit_limit(
        self, tenant_id: UUID, account_id: UUID, currency: str, credit_limit: Decimal
    ) -> Balance:
        with self.database.write() as connection:
            return accounts.set_credit_limit(
                connection, tenant_id, account_id, currency, credit_limit, self.clock.now()
            )

    def _change_status(self, tenant_id: UUID, account_id: UUID, status: AccountStatus) -> Account:
        with self.database.write() as connection:
            return accounts.change_status(
                connection, tenant_id, account_id, status, self.clock.now()
            )

    # -- reading ----------------------------------------------------------------------------

    def get_account(self, tenant_id: UUID, account_id: UUID) -> Account:
        with self.database.read() as connection:
            return accounts.require_account(connection, tenant_id, account_id)

    def balances(self, tenant_id: UUID, account_id: UUID) -> list[Balance]:
        with self.database.read() as connection:
            return accounts.balances_of(connection, tenant_id, account_id)

    def balance(self, tenant_id: UUID, account_id: UUID, currency: str) -> Balance:
        """The balance in one currency (zero when the account never used it)."""
        for balance in self.balances(tenant_id, account_id):
            if balance.currency == currency:
                return balance
        return Balance(account_id=account_id, currency=currency, posted=0, held=0, credit_limit=0)

    def get_transfer(self, tenant_id: UUID, transfer_id: UUID) -> Transfer:
        with self.database.read() as connection:
            transfer = history_repository.get_transfer(connection, transfer_id)
        if transfer is None or transfer.tenant_id != tenant_id:
            raise TransferNotFound(f"transfer {transfer_id} does not exist", field="transfer_id")
        return transfer

    def entries(
        self, tenant_id: UUID, account_id: UUID, currency: str | None = None
    ) -> list[Entry]:
        """An account's balance history, oldest first."""
        with self.database.read() as connection:
            accounts.require_account(connection, tenant_id, account_id)
            return history_repository.account_entries(connection, account_id, currency)

    def verify(self) -> VerifyReport:
        with self.database.read() as connection:
            return verify(connection)
