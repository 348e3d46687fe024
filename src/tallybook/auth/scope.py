"""What a key may see and move: its whole tenant, or one account and its sub-accounts.

Objects outside the scope do not exist for the key: every check raises the same NotFound a
missing object raises, so a key cannot learn what lies outside it. The seed surfaces use the
same scope (DigiCert's containers are a key's account and its divisions).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from tallybook.ledger import Ledger, errors
from tallybook.model import Account, AccountKind, ApiKey, SystemAccount, Transfer

# The system accounts a scoped key may pay: spending, not taking money off the platform.
PAYABLE_SYSTEM_ACCOUNTS = frozenset({SystemAccount.REVENUE.value, SystemAccount.FEES.value})


@dataclass(frozen=True, slots=True)
class Scope:
    """`account_ids` None means every account of the tenant."""

    tenant_id: UUID
    account_ids: frozenset[UUID] | None

    @property
    def is_tenant_wide(self) -> bool:
        return self.account_ids is None

    def sees(self, account_id: UUID) -> bool:
        return self.account_ids is None or account_id in self.account_ids

    def require_account(self, account_id: UUID, field: str = "account_id") -> None:
        if not self.sees(account_id):
            raise errors.AccountNotFound(f"account {account_id} does not exist", field=field)

    def require_transfer(self, transfer: Transfer) -> None:
        """A transfer is visible when either of its accounts is."""
        if not (self.sees(transfer.debit_account_id) or self.sees(transfer.credit_account_id)):
            raise errors.TransferNotFound(
                f"transfer {transfer.id} does not exist", field="transfer_id"
            )

    def require_may_pay(self, debit: UUID, credit: Account) -> None:
        """A scoped key spends only from its accounts, to its accounts or to the platform's
        revenue and fees; it cannot mint money from `world` into them, nor send money out to
        `world` (that is a withdrawal, which goes through review)."""
        self.require_account(debit, "debit_account_id")
        payable = (
            credit.kind is AccountKind.SYSTEM
            and credit.metadata.get("system") in PAYABLE_SYSTEM_ACCOUNTS
        )
        if not payable:
            self.require_account(credit.id, "credit_account_id")

    def narrowed_to(self, account_ids: frozenset[UUID]) -> frozenset[UUID]:
        """The accounts of `account_ids` the key sees."""
        if self.account_ids is None:
            return account_ids
        return account_ids & self.account_ids


def scope_of(ledger: Ledger, key: ApiKey) -> Scope:
    if key.account_id is None:
        return Scope(key.tenant_id, None)
    return Scope(key.tenant_id, ledger.account_tree(key.tenant_id, key.account_id))
