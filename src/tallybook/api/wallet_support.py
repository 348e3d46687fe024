"""What the wallet-flow routers share: answering a step's result, hiding records outside the
key's scope, and the filters every flow's list has.

No `from __future__ import annotations` here: FastAPI reads the annotations of `OwnedFilters`
(a dependency class) at runtime.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from fastapi import Response

from tallybook.api.caller import Caller
from tallybook.api.idempotency import mark_replay
from tallybook.api.parameters import CreatedFrom, CreatedTo, CurrencyFilter, OwnerFilter
from tallybook.api.wallet_presenters import WalletPresenter
from tallybook.ledger.errors import LedgerError
from tallybook.ledger.steps import StepResult

Record = TypeVar("Record")
Shown = TypeVar("Shown")


class Owned(Protocol):
    @property
    def account_id(self) -> UUID: ...


OwnedRecord = TypeVar("OwnedRecord", bound=Owned)


def answer_step(
    caller: Caller,
    result: StepResult[Record],
    response: Response,
    present: Callable[[WalletPresenter, Record], Shown],
) -> Shown:
    """The step's record as the response, marked when it is a replay."""
    mark_replay(response, result.replayed)
    return present(WalletPresenter.for_tenant(caller.ledger, caller.tenant_id), result.record)


def visible(caller: Caller, record: OwnedRecord, missing: LedgerError) -> OwnedRecord:
    """`record` if its account is in the key's scope; else `missing` (a NotFound): outside
    the scope, a record does not exist."""
    if not caller.scope.sees(record.account_id):
        raise missing
    return record


@dataclass
class OwnedFilters:
    """The filters of every flow's list (a FastAPI dependency: query parameters)."""

    account_id: OwnerFilter = None
    currency: CurrencyFilter = None
    created_from: CreatedFrom = None
    created_to: CreatedTo = None

    def query_fields(self, caller: Caller) -> dict[str, Any]:
        """The query's shared fields, limited to the key's scope. An `account_id` outside the
        key's tenant or scope is 404, as on every other list: it does not exist."""
        if self.account_id is not None:
            caller.account(self.account_id)
        return {
            "tenant_id": caller.tenant_id,
            "account_id": self.account_id,
            "currency": self.currency,
            "created_from": self.created_from,
            "created_to": self.created_to,
            "within": caller.scope.account_ids,
        }
