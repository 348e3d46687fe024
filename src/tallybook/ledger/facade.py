"""`Ledger`: the one object every surface (API, seed adapters, CLI) calls.

It owns the database handle and the posting engine. Money moves only through `execute` /
`submit` (the engine's batches); set-up calls run in their own short transactions. Every
method raises only `LedgerError` subclasses on purpose; each is documented where it is made
(`accounts`, `posting`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

from sqlalchemy import Connection

from tallybook.auth.cache import KeyCache
from tallybook.ledger import accounts, archive, history
from tallybook.ledger.accounts import AccountView
from tallybook.ledger.clock import Clock, SystemClock
from tallybook.ledger.commands import Command, PostingResult
from tallybook.ledger.decimals_in_use import DecimalsInUse
from tallybook.ledger.engine import PostingEngine
from tallybook.ledger.errors import TransferNotFound, UnknownCurrency, ValidationError
from tallybook.ledger.money import to_minor_units
from tallybook.ledger.periods import Period
from tallybook.ledger.queries import (
    AccountQuery,
    BalanceAt,
    CountedPage,
    EntryQuery,
    HistoryLine,
    HistoryPosition,
    Page,
    Slice,
    TransferQuery,
    Window,
)
from tallybook.ledger.statements import Statement, build_statement
from tallybook.ledger.steps import Step, StepResult
from tallybook.ledger.summaries import SummaryQuery, SummaryRow, summarize
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
    TransferStatus,
)
from tallybook.settings import Settings
from tallybook.storage import accounts_repository, history_repository, listing_repository
from tallybook.storage.database import Database

R = TypeVar("R")


class Ledger:
    """The core's public face. Start it (or use it as a context manager) before moving money."""

    def __init__(
        self, database: Database, *, clock: Clock | None = None, settings: Settings | None = None
    ) -> None:
        settings = settings or Settings()
        self.database = database
        self.clock: Clock = clock or SystemClock()
        self._system_accounts: dict[tuple[UUID, SystemAccount, str], Account] = {}
        self._decimals_in_use = DecimalsInUse()  # shared with the engine, which fills it too
        # Live API keys by hash, for `auth.keys.resolve_key`; emptied by `revoke_key`.
        self.key_cache = KeyCache(settings.api_key_cache_seconds)
        self.engine = PostingEngine(
            database,
            self.clock,
            max_batch_commands=settings.engine_max_batch_commands,
            max_batch_wait_seconds=settings.engine_max_batch_wait_seconds,
            max_attempts=settings.engine_max_attempts,
            decimals_in_use=self._decimals_in_use,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Ledger:
        database = Database(settings.database_url, pool_size=settings.database_pool_size)
        return cls(database, clock=clock, settings=settings)

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

    def run(self, step: Step[R]) -> StepResult[R]:
        """Apply a wallet-flow step (its record change and its money, together) and wait."""
        return self.engine.result_of(self.engine.submit_step(step))

    def submit_step(self, step: Step[R]) -> Future[StepResult[R]]:
        """Queue a wallet-flow step without waiting."""
        return self.engine.submit_step(step)

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
        """The tenant's system account (created on first use). Remembered once known: a
        system account is never changed, so every later transfer skips the lookup."""
        known = self.known_system_account(tenant_id, which, currency)
        if known is not None:
            return known
        with self.database.write() as connection:
            account = accounts.system_account(
                connection, tenant_id, which, currency, self.clock.now()
            )
        self._system_accounts[(tenant_id, which, currency)] = account
        return account

    def known_system_account(
        self, tenant_id: UUID, which: SystemAccount, currency: str
    ) -> Account | None:
        """The system account if this process already knows it (no read), else None."""
        return self._system_accounts.get((tenant_id, which, currency))

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

    def find_tenant_by_name(self, name: str) -> Tenant | None:
        """The oldest tenant called `name`, or None (names are not unique)."""
        with self.database.read() as connection:
            return accounts_repository.find_tenant_by_name(connection, name)

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

    def reading(self) -> AbstractContextManager[None]:
        """Every read inside shares one database transaction (see `Database.reading`): a
        surface wraps a request's reads in it so they cost one round of checkout, BEGIN and
        ROLLBACK."""
        return self.database.reading()

    def get_tenant(self, tenant_id: UUID) -> Tenant:
        with self.database.read() as connection:
            return accounts.require_tenant(connection, tenant_id)

    def currencies(self, tenant_id: UUID) -> list[Currency]:
        with self.database.read() as connection:
            return accounts_repository.list_currencies(connection, [tenant_id])

    def known_decimals_in_use(
        self, tenant_id: UUID, codes: Collection[str]
    ) -> dict[str, int] | None:
        """`decimals_in_use` if every code is remembered already (no read), else None."""
        known = self._decimals_in_use.known([(tenant_id, code) for code in codes])
        if known is None:
            return None
        return {code: decimals for (_, code), decimals in known.items()}

    def decimals_in_use(self, tenant_id: UUID, codes: Collection[str]) -> dict[str, int]:
        """The decimals of currencies the caller knows hold balances (those of a written
        transfer). Remembered once read (see `DecimalsInUse`), so presenting a transfer
        needs no read after the first."""
        known = self.known_decimals_in_use(tenant_id, codes)
        if known is not None:
            return known
        configured = {currency.code: currency.decimals for currency in self.currencies(tenant_id)}
        in_use = {code: configured[code] for code in codes if code in configured}
        self._decimals_in_use.remember({(tenant_id, code): d for code, d in in_use.items()})
        return in_use

    def update_account(
        self, tenant_id: UUID, account_id: UUID, changes: accounts.AccountChanges
    ) -> Account:
        with self.database.write() as connection:
            return accounts.update_account(
                connection, tenant_id, account_id, changes, self.clock.now()
            )

    def account_view(self, tenant_id: UUID, account_id: UUID) -> AccountView:
        """The account with its balances (and tree totals). Raises AccountNotFound."""
        with self.database.read() as connection:
            return accounts.account_view(connection, tenant_id, account_id)

    def account_views(self, tenant_id: UUID, listed: Sequence[Account]) -> list[AccountView]:
        """The accounts with their balances, and tree totals for those with sub-accounts."""
        with self.database.read() as connection:
            return accounts.account_views(connection, tenant_id, listed)

    def account_tree(self, tenant_id: UUID, root_id: UUID) -> frozenset[UUID]:
        """The account and its sub-accounts at any depth. Raises AccountNotFound."""
        with self.database.read() as connection:
            return accounts.account_tree(connection, tenant_id, root_id)

    def account_ids(
        self, tenant_id: UUID, account_id: UUID, *, with_sub_accounts: bool
    ) -> frozenset[UUID]:
        """The account, or (`with_sub_accounts`) its whole tree: what a history read covers.
        Raises AccountNotFound."""
        if with_sub_accounts:
            return self.account_tree(tenant_id, account_id)
        return frozenset({self.get_account(tenant_id, account_id).id})

    def balance_totals(self, tenant_id: UUID, account_id: UUID) -> list[Balance]:
        """Per currency, the account's balances plus all its sub-accounts'."""
        with self.database.read() as connection:
            return accounts.tree_balance_totals(connection, tenant_id, account_id)

    def list_accounts(self, query: AccountQuery, window: Window[UUID]) -> Page[Account, UUID]:
        with self.database.read() as connection:
            return listing_repository.list_accounts(connection, query, window)

    def list_transfers(self, query: TransferQuery, window: Window[UUID]) -> Page[Transfer, UUID]:
        with self.database.read() as connection:
            return listing_repository.list_transfers(connection, query, window)

    def list_entries(
        self, query: EntryQuery, window: Window[HistoryPosition]
    ) -> Page[HistoryLine, HistoryPosition]:
        """The balance history. Raises ValidationError / InvalidAmount / UnknownCurrency for
        amount bounds without a currency, negative or with too many decimals."""
        with self.database.read() as connection:
            bounds = _minor_bounds(connection, query)
            return listing_repository.list_entries(connection, query, window, *bounds)

    def check_entry_query(self, query: EntryQuery) -> None:
        """Raise what `list_entries` would raise for `query`, reading no history (so a stream
        can refuse a bad query before its first byte)."""
        with self.database.read() as connection:
            _minor_bounds(connection, query)

    def count_entries(self, query: EntryQuery) -> int:
        """How many entries `list_entries` would page through, exactly (see
        `history.count_entries` for how it avoids counting rows). Raises as `list_entries`."""
        with self.database.read() as connection:
            bounds = _minor_bounds(connection, query)
            return history.count_entries(connection, query, *bounds)

    def iter_entries(
        self, query: EntryQuery, *, newest_first: bool = False, batch_size: int = 1000
    ) -> Iterator[list[HistoryLine]]:
        """Every entry of `query` in batches of `batch_size`, each read in its own short
        transaction (keyset pagination), so memory stays flat however long the history and
        no transaction stays open while the caller writes the batch out."""
        after: HistoryPosition | None = None
        while True:
            window = Window(limit=batch_size, after=after, newest_first=newest_first)
            page = self.list_entries(query, window)
            if page.items:
                yield list(page.items)
            if page.next_key is None:
                return
            after = page.next_key

    def balances_as_of(
        self, tenant_id: UUID, account_id: UUID, moment: datetime, *, with_sub_accounts: bool
    ) -> list[BalanceAt]:
        """Posted balances per currency after every entry stamped at or before `moment`, for
        the account or (`with_sub_accounts`) its whole tree. Raises AccountNotFound, and
        ValidationError for a time without a zone."""
        history.require_aware(moment, "as_of")
        if with_sub_accounts:
            tree = self.account_tree(tenant_id, account_id)
            with self.database.read() as connection:
                return history.balances_at(connection, tenant_id, tree, moment)
        with self.database.read() as connection:
            # The account is looked up only for an empty answer: a balance of the tenant's
            # is one of its accounts, and the read is saved.
            past = history.balances_at(connection, tenant_id, {account_id}, moment)
            if not past:
                accounts.require_account(connection, tenant_id, account_id)
            return past

    def summary(self, query: SummaryQuery) -> tuple[list[Period], list[SummaryRow]]:
        """Opening, credits, debits, net, closing and count per local period and currency.
        Raises TenantNotFound, UnknownCurrency, ValidationError (range reversed or too long)."""
        with self.database.read() as connection:
            tenant = accounts.require_tenant(connection, query.tenant_id)
            _require_currency(connection, query.tenant_id, query.currency)
            return summarize(connection, query, tenant.time_zone)

    def statement(
        self,
        tenant_id: UUID,
        account_id: UUID,
        first_day: date,
        last_day: date,
        currency: str | None = None,
    ) -> Statement:
        """Opening, every entry and closing of an account over local days, per currency.
        Raises what `statements.build_statement` documents."""
        with self.database.read() as connection:
            return build_statement(connection, tenant_id, account_id, first_day, last_day, currency)

    def slice_entries(self, query: EntryQuery, window: Slice) -> CountedPage[HistoryLine]:
        """A slice of the balance history with the number of matching entries (the seed
        APIs' offset and page-number pagination). Raises what `list_entries` raises."""
        with self.database.read() as connection:
            bounds = _minor_bounds(connection, query)
            return listing_repository.slice_entries(connection, query, window, *bounds)

    def slice_accounts(self, query: AccountQuery, window: Slice) -> CountedPage[Account]:
        """A slice of the accounts in number order, with the number of matching accounts."""
        with self.database.read() as connection:
            return listing_repository.slice_accounts(connection, query, window)

    def account_by_number(self, tenant_id: UUID, number: int) -> Account:
        """The account the seed APIs call `number`. Raises AccountNotFound."""
        with self.database.read() as connection:
            return accounts.account_by_number(connection, tenant_id, number)

    def accounts_by_ids(
        self, tenant_id: UUID, account_ids: Collection[UUID]
    ) -> dict[UUID, Account]:
        """The tenant's accounts among `account_ids` (others are left out), by id."""
        with self.database.read() as connection:
            found = accounts_repository.accounts_by_ids(connection, account_ids)
        return {key: account for key, account in found.items() if account.tenant_id == tenant_id}

    def as_first_written(self, result: PostingResult) -> PostingResult:
        """A replayed result as the first call returned it: holds resolved since then are
        shown `pending` again, so a retried request gets the very same answer."""
        if not result.replayed:
            return result
        candidates = [t.id for t in result.transfers if t.pending_id is None]
        with self.database.read() as connection:
            holds = history_repository.resolved_hold_ids(connection, candidates)
        return replace(
            result,
            transfers=tuple(
                replace(t, status=TransferStatus.PENDING) if t.id in holds else t
                for t in result.transfers
            ),
        )

    def set_archive_after_months(self, tenant_id: UUID, months: int | None) -> None:
        """The tenant's archive setting: entries older than `months` whole months may be
        archived (None: never). Raises TenantNotFound, ValidationError (1..1200)."""
        archive.set_archive_after_months(self.database, tenant_id, months)

    def archive(
        self, tenant_id: UUID, *, older_than_months: int | None = None
    ) -> archive.ArchiveReport:
        """Move the tenant's old entries to the archive (see `ledger.archive`)."""
        return archive.archive_tenant(
            self.database, tenant_id, self.clock.now(), older_than_months=older_than_months
        )

    def archiving_tenants(self) -> list[Tenant]:
        with self.database.read() as connection:
            return accounts_repository.archiving_tenants(connection)

    def verify(self) -> VerifyReport:
        with self.database.read() as connection:
            return verify(connection)


def _require_currency(connection: Connection, tenant_id: UUID, currency: str | None) -> None:
    """A currency filter must name one of the tenant's currencies (else it is a typo)."""
    if currency is None:
        return
    codes = {c.code for c in accounts_repository.list_currencies(connection, [tenant_id])}
    if currency not in codes:
        raise UnknownCurrency(currency)


def _minor_bounds(connection: Connection, query: EntryQuery) -> tuple[int | None, int | None]:
    bounds = {"amount_min": query.amount_min, "amount_max": query.amount_max}
    if all(bound is None for bound in bounds.values()):
        return None, None
    if query.currency is None:
        raise ValidationError("an amount range needs a currency", field="currency")
    decimals = {
        c.code: c.decimals
        for c in accounts_repository.list_currencies(connection, [query.tenant_id])
    }.get(query.currency)
    if decimals is None:
        raise UnknownCurrency(query.currency)
    minor: list[int | None] = []
    for name, bound in bounds.items():
        if bound is not None and bound < 0:
            raise ValidationError(f"{name} is zero or more", field=name)
        minor.append(
            None
            if bound is None
            else 0
            if bound == 0
            else to_minor_units(bound, decimals, field=name)
        )
    return minor[0], minor[1]
