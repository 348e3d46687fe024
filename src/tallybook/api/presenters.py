"""Turning core records into the native API's response shapes.

Minor units become decimal strings with the tenant's decimals for each currency, which is why
a `Presenter` is made per request from the tenant's currencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Self
from uuid import UUID

from tallybook.api.schemas import AccountOut, BalanceOut, EntryOut, TransferOut
from tallybook.ledger import Ledger
from tallybook.ledger.accounts import AccountView
from tallybook.ledger.money import format_minor_units
from tallybook.ledger.queries import HistoryLine
from tallybook.model import Balance, Transfer
from tallybook.render.entry_records import entry_record


@dataclass(frozen=True, slots=True)
class Presenter:
    decimals: dict[str, int]

    @classmethod
    def for_tenant(cls, ledger: Ledger, tenant_id: UUID) -> Self:
        return cls({c.code: c.decimals for c in ledger.currencies(tenant_id)})

    @classmethod
    def for_written(cls, ledger: Ledger, tenant_id: UUID, transfers: Iterable[Transfer]) -> Self:
        """For transfers just written or replayed: their currencies' decimals are fixed, so
        this reads nothing after the first time (`Ledger.decimals_in_use`)."""
        return cls.for_currencies_in_use(ledger, tenant_id, {t.currency for t in transfers})

    @classmethod
    def for_currencies_in_use(cls, ledger: Ledger, tenant_id: UUID, codes: set[str]) -> Self:
        """For currencies that hold balances or entries: their decimals can no longer change,
        so this reads nothing after the first time (`Ledger.decimals_in_use`)."""
        return cls(ledger.decimals_in_use(tenant_id, codes))

    def money(self, minor: int, currency: str) -> str:
        return format_minor_units(minor, self.decimals[currency])

    def balance(self, balance: Balance) -> BalanceOut:
        currency = balance.currency
        return BalanceOut(
            currency=currency,
            posted=self.money(balance.posted, currency),
            held=self.money(balance.held, currency),
            available=self.money(balance.available, currency),
            credit_limit=self.money(balance.credit_limit, currency),
        )

    def balances(self, balances: Iterable[Balance]) -> list[BalanceOut]:
        return [self.balance(balance) for balance in balances]

    def account(self, view: AccountView) -> AccountOut:
        account = view.account
        return AccountOut(
            id=account.id,
            number=account.number,
            external_id=account.external_id,
            name=account.name,
            parent_id=account.parent_id,
            kind=account.kind,
            status=account.status,
            metadata=dict(account.metadata),
            tags=list(account.tags),
            payout_profile=dict(account.payout_profile),
            balances=self.balances(view.balances),
            balances_including_sub_accounts=(
                None if view.tree_totals is None else self.balances(view.tree_totals)
            ),
            created_at=account.created_at,
            updated_at=account.updated_at,
        )

    def transfer(self, transfer: Transfer) -> TransferOut:
        references = transfer.references
        return TransferOut(
            id=transfer.id,
            type=transfer.type,
            status=transfer.status,
            debit_account_id=transfer.debit_account_id,
            credit_account_id=transfer.credit_account_id,
            amount=self.money(transfer.amount, transfer.currency),
            currency=transfer.currency,
            pending_id=transfer.pending_id,
            reversal_of_id=transfer.reversal_of_id,
            order_number=references.order_number,
            receipt_id=references.receipt_id,
            invoice_id=references.invoice_id,
            channel=references.channel,
            country_code=references.country_code,
            tags=list(references.tags),
            note=references.note,
            operator=references.operator,
            metadata=dict(references.metadata),
            idempotency_key=transfer.idempotency_key,
            created_at=transfer.created_at,
            expires_at=transfer.expires_at,
        )

    def entry(self, line: HistoryLine) -> EntryOut:
        return EntryOut.model_validate(entry_record(line, self.decimals[line.entry.currency]))
