"""Sub-accounts: a parent funds its children and takes unused money back.

An allocation moves money parent -> child, a reclaim child -> parent; both are ordinary
transfers of type `allocation`, so each shows in the history of both sides, and they follow
every rule of a transfer (funds, frozen and closed accounts, idempotency keys). Only a direct
child can be funded or reclaimed from; anything else is `AccountNotFound` on
`sub_account_id`. A sub-account is made like any account, with `parent_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from tallybook.ledger import CreateTransfer, Ledger, PostingResult, errors
from tallybook.model import Account, References, TransferType


def child_of(ledger: Ledger, tenant_id: UUID, parent_id: UUID, child_id: UUID) -> Account:
    """The sub-account `child_id` of `parent_id`, or AccountNotFound naming `account_id`
    (the parent) or `sub_account_id` (a child that is missing, another tenant's, or not
    this parent's)."""
    ledger.get_account(tenant_id, parent_id)
    try:
        child = ledger.get_account(tenant_id, child_id)
    except errors.AccountNotFound as missing:
        raise errors.AccountNotFound(missing.message, field="sub_account_id") from None
    if child.parent_id != parent_id:
        raise errors.AccountNotFound(
            f"account {child_id} is not a sub-account of {parent_id}", field="sub_account_id"
        )
    return child


@dataclass(frozen=True, slots=True)
class Allocation:
    """Money moved between a parent and one of its direct sub-accounts: parent -> child, or
    child -> parent with `reclaim`."""

    tenant_id: UUID
    parent_id: UUID
    child_id: UUID
    amount: Decimal
    currency: str
    reclaim: bool = False
    note: str | None = None
    operator: str | None = None
    idempotency_key: str | None = None

    def command(self) -> CreateTransfer:
        """The transfer, for a caller that knows the two are parent and child (`allocate`
        checks it)."""
        debit, credit = (
            (self.child_id, self.parent_id) if self.reclaim else (self.parent_id, self.child_id)
        )
        return CreateTransfer(
            self.tenant_id,
            debit,
            credit,
            self.amount,
            self.currency,
            TransferType.ALLOCATION,
            References(note=self.note, operator=self.operator, metadata={"reclaim": self.reclaim}),
            idempotency_key=self.idempotency_key,
        )


def allocate(ledger: Ledger, allocation: Allocation) -> PostingResult:
    """Move the money. Raises AccountNotFound (either account, or not parent and child), and
    what `CreateTransfer` raises (InsufficientFunds on the giving side, AccountFrozen, ...)."""
    child_of(ledger, allocation.tenant_id, allocation.parent_id, allocation.child_id)
    return ledger.execute(allocation.command())
