"""Steps: changes of records kept beside the ledger, applied in the posting engine's batches.

Why this exists. A wallet flow (a top-up, a withdrawal, an order) is a record with a state, and
most of its state changes move money: a confirmed top-up credits the account, a paid withdrawal
posts its hold. The record's change and the money must commit together or not at all, and each
change must happen once however many callers race. So a change of state is a `Step`, and the
posting engine runs it like a money command, inside the batch's one transaction:

1. Before any account or balance is locked, the engine locks every record the batch's steps
   name (`RecordStore.lock`: `SELECT ... FOR UPDATE`), sorted by (kind, tenant, name). Only
   the engine locks these rows, always first and always in that order, so two batches never
   wait on each other in a cycle; the global order is records, accounts, balances, and last
   the tenant row, which a step that creates a numbered record (a top-up, a withdrawal: the
   DRF seed's integer pks) locks while it takes the next number (`RecordNumbers`).
2. Each step says, from its records as locked, which balances it may change (`footprint`) and
   which holds it may resolve (`holds`); the engine locks and loads them with the others.
3. `Step.apply` runs on a `StepWork`: it reads the records as the batch has left them so far,
   moves money through the same rules as every command (`posting.create_within`, ...), and
   puts back the records it changed. Everything it did lives in its own unit until it returns:
   if it raises a `LedgerError`, neither its transfers nor its record changes are kept.
4. After the batch's transfers and entries are written, each changed record is saved once
   (`RecordStore.save`), with the record as it was locked, so a store knows insert from update.

A step's idempotency key is claimed in the same transaction (table `step_claims`, unique per
tenant): the same key and content again answers the record the first call changed, as it is
now, and moves nothing; the same key with other content is `IdempotencyConflict`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast
from uuid import UUID

from sqlalchemy import Connection

from tallybook.ledger import errors, posting
from tallybook.ledger.commands import CreateTransfer, content_hash
from tallybook.ledger.limits import check_idempotency_key
from tallybook.ledger.money import format_minor_units, to_minor_units
from tallybook.model import (
    AccountKind,
    AccountStatus,
    References,
    Transfer,
    TransferType,
)
from tallybook.storage import step_claims_repository
from tallybook.storage.locked_rows import LockedAccount
from tallybook.storage.step_claims_repository import StepClaim

R = TypeVar("R")
T = TypeVar("T")

BalanceRef = tuple[UUID, UUID, str]  # (tenant, account, currency) of a balance a step may change


@dataclass(frozen=True, slots=True, order=True)
class RecordKey:
    """Names one record: its kind (which store keeps it), its tenant and its name there."""

    kind: str
    tenant_id: UUID
    name: str


class RecordStore(Protocol):
    """How one kind of record is locked and saved: a repository in `storage/`."""

    @property
    def kind(self) -> str: ...

    def lock(
        self, connection: Connection, tenant_id: UUID, names: Sequence[str]
    ) -> Mapping[str, object]:
        """The records of `names` that exist, locked for the rest of the transaction."""
        ...

    def save(self, connection: Connection, changes: Sequence[tuple[object | None, object]]) -> None:
        """Write each (record as locked or None when new, record now)."""
        ...


class Step(ABC, Generic[R]):
    """A change of a record that the posting engine applies in the transaction moving its money.

    Subclasses are frozen dataclasses with `tenant_id` and `idempotency_key` fields. `R` is
    the kind of record the step answers with (its subject).
    """

    __slots__ = ()

    tenant_id: UUID
    idempotency_key: str | None
    # Fields the use case fills in rather than the caller (system account ids, the tenant's
    # settings): left out of the request hash, so a retry is recognised as the same request.
    resolved_fields: ClassVar[frozenset[str]] = frozenset()

    @property
    @abstractmethod
    def subject_store(self) -> RecordStore:
        """The store of the record this step answers with (read again on a replay)."""

    @abstractmethod
    def stores(self) -> Sequence[RecordStore]:
        """The stores of every record the step locks or writes (the subject's among them)."""

    @abstractmethod
    def records(self, now: datetime) -> Sequence[RecordKey]:
        """The records to lock before anything else (`now` is the batch's time)."""

    @abstractmethod
    def footprint(self, book: RecordBook) -> Iterable[BalanceRef]:
        """Every balance the step may change, judged from its records as locked."""

    def holds(self, book: RecordBook) -> Iterable[UUID]:
        """The holds the step may post or void."""
        return ()

    @abstractmethod
    def apply(self, work: StepWork) -> R:
        """Change the records and move the money, or raise a LedgerError and change nothing."""

    @abstractmethod
    def subject_key(self, subject: R) -> RecordKey:
        """The key of the record `apply` answered with."""

    def request_hash(self) -> str:
        content: dict[str, Any] = {"kind": type(self).__name__}
        for step_field in dataclasses.fields(cast(Any, self)):
            name = step_field.name
            if name != "idempotency_key" and name not in self.resolved_fields:
                content[name] = getattr(self, name)
        return content_hash(content)


@dataclass(frozen=True, slots=True)
class StepResult(Generic[R]):
    """What a step answered: its record after the change (on a replay: as it is now), and the
    transfers it wrote (none on a replay)."""

    record: R
    transfers: tuple[Transfer, ...] = ()
    replayed: bool = False


class NumberedStore(Protocol):
    """A store whose records carry a per-tenant number (1, 2, 3...)."""

    @property
    def kind(self) -> str: ...

    def highest_number(self, connection: Connection, tenant_id: UUID) -> int:
        """The tenant's highest stored number, locking the tenant's numbering until the
        transaction ends."""
        ...


class RecordNumbers:
    """Hands out record numbers within one batch: the first ask per store and tenant reads
    the highest stored number, later asks count on from it (the batch's new records are not
    stored until it ends)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._last: dict[tuple[str, UUID], int] = {}

    def next(self, store: NumberedStore, tenant_id: UUID) -> int:
        slot = (store.kind, tenant_id)
        if slot not in self._last:
            self._last[slot] = store.highest_number(self._connection, tenant_id)
        self._last[slot] += 1
        return self._last[slot]


@dataclass
class RecordBook:
    """The records of one batch: as locked, as the batch has changed them, and the claims."""

    stores: dict[str, RecordStore]
    records: dict[RecordKey, object]
    claims: dict[tuple[UUID, str], StepClaim]
    numbers: RecordNumbers
    locked: dict[RecordKey, object] = field(default_factory=dict)
    changed: set[RecordKey] = field(default_factory=set)
    new_claims: list[StepClaim] = field(default_factory=list)

    def get(self, key: RecordKey, kind: type[T]) -> T | None:
        """The record as this batch has left it so far, or None when there is none."""
        return _typed(self.records.get(key), kind)


def _typed(record: object | None, kind: type[T]) -> T | None:
    if record is None:
        return None
    if not isinstance(record, kind):
        raise TypeError(f"expected a {kind.__name__}, found {type(record).__name__}")
    return record


class StepWork:
    """What `Step.apply` works with: the batch's records and the money rules, in one unit."""

    def __init__(self, context: posting.BatchContext, book: RecordBook, flow: str) -> None:
        self._unit = posting.Unit(context)
        self._book = book
        self._flow = flow
        self._records: dict[RecordKey, object] = {}

    @property
    def now(self) -> datetime:
        return self._unit.context.now

    def get(self, key: RecordKey, kind: type[T]) -> T | None:
        if key in self._records:
            return _typed(self._records[key], kind)
        return self._book.get(key, kind)

    def next_number(self, store: NumberedStore, tenant_id: UUID) -> int:
        """The tenant's next number in `store`. Ask for it last, once the step can no longer
        be refused, so a refused step leaves no gap."""
        return self._book.numbers.next(store, tenant_id)

    def put(self, key: RecordKey, record: object) -> None:
        """Keep `record` as the new state of `key` (written when the step succeeds)."""
        self._records[key] = record

    def decimals(self, tenant_id: UUID, currency: str) -> int:
        decimals = self._unit.context.decimals.get((tenant_id, currency))
        if decimals is None:
            raise errors.UnknownCurrency(currency)
        return decimals

    def money(self, tenant_id: UUID, currency: str, minor: int) -> str:
        """`minor` units as a person reads them in a message: `200.00 CNY`."""
        return f"{format_minor_units(minor, self.decimals(tenant_id, currency))} {currency}"

    def minor_units(
        self, tenant_id: UUID, currency: str, amount: Decimal, field: str = "amount"
    ) -> int:
        return to_minor_units(amount, self.decimals(tenant_id, currency), field=field)

    def customer_account(self, tenant_id: UUID, account_id: UUID, field: str) -> LockedAccount:
        """A customer account of the tenant that is not closed (the step's footprint must name
        one of its balances, so that it was locked)."""
        account = self._unit.context.accounts.get(account_id)
        if account is None or account.tenant_id != tenant_id or account.kind is AccountKind.SYSTEM:
            raise errors.AccountNotFound(f"account {account_id} does not exist", field=field)
        if account.status is AccountStatus.CLOSED:
            raise errors.AccountClosed(f"account {account_id} is closed", field=field)
        return account

    def transfer(
        self,
        tenant_id: UUID,
        debit_account_id: UUID,
        credit_account_id: UUID,
        amount: int,
        currency: str,
        references: References,
        *,
        type: TransferType,
        pending: bool = False,
    ) -> Transfer:
        """Move (or hold, with `pending`) `amount` minor units, by the rules of every transfer."""
        major = Decimal(amount).scaleb(-self.decimals(tenant_id, currency))
        command = CreateTransfer(
            tenant_id,
            debit_account_id,
            credit_account_id,
            major,
            currency,
            type,
            references,
            pending=pending,
        )
        return posting.create_within(self._unit, command, self._flow)

    def post(self, tenant_id: UUID, hold_id: UUID, references: References) -> Transfer:
        return posting.post_within(self._unit, tenant_id, hold_id, references)

    def void(self, tenant_id: UUID, hold_id: UUID, references: References) -> Transfer:
        return posting.void_within(self._unit, tenant_id, hold_id, references)

    def finish(self, claim: StepClaim | None) -> tuple[Transfer, ...]:
        """Keep everything the step did: its transfers, records and idempotency claim."""
        self._unit.commit()
        self._book.records.update(self._records)
        self._book.changed.update(self._records)
        if claim is not None:
            self._book.claims[(claim.tenant_id, claim.idempotency_key)] = claim
            self._book.new_claims.append(claim)
        return tuple(self._unit.transfers)


# ---------------------------------------------------------------------------------------------
# What the engine calls, in the order of a batch.


def find_claims(
    connection: Connection, steps: Sequence[Step[Any]]
) -> dict[tuple[UUID, str], StepClaim]:
    keys = {(s.tenant_id, s.idempotency_key) for s in steps if s.idempotency_key is not None}
    return step_claims_repository.find(connection, keys)


def lock_records(
    connection: Connection,
    steps: Sequence[Step[Any]],
    claims: dict[tuple[UUID, str], StepClaim],
    now: datetime,
) -> RecordBook:
    """Lock every record the steps name, and the subjects of their earlier claims, in order."""
    stores: dict[str, RecordStore] = {}
    wanted: set[RecordKey] = set()
    for step in steps:
        stores.update((store.kind, store) for store in step.stores())
        wanted.update(step.records(now))
        claim = claims.get((step.tenant_id, step.idempotency_key or ""))
        # A claim of another kind was made by another kind of step: a conflict, nothing to read.
        if claim is not None and claim.record_kind == step.subject_store.kind:
            wanted.add(RecordKey(claim.record_kind, claim.tenant_id, claim.record_name))
    records: dict[RecordKey, object] = {}
    for (kind, tenant_id), group in groupby(sorted(wanted), lambda k: (k.kind, k.tenant_id)):
        names = [key.name for key in group]
        for name, record in stores[kind].lock(connection, tenant_id, names).items():
            records[RecordKey(kind, tenant_id, name)] = record
    return RecordBook(
        stores=stores,
        records=records,
        claims=claims,
        numbers=RecordNumbers(connection),
        locked=dict(records),
    )


def apply_step(context: posting.BatchContext, book: RecordBook, step: Step[R]) -> StepResult[R]:
    """Apply one step to the batch, or raise a LedgerError and change nothing."""
    claim_slot = None
    if step.idempotency_key is not None:
        check_idempotency_key(step.idempotency_key)
        claim_slot = (step.tenant_id, step.idempotency_key)
        earlier = book.claims.get(claim_slot)
        if earlier is not None:
            if earlier.request_hash != step.request_hash():
                raise errors.IdempotencyConflict(step.idempotency_key)
            key = RecordKey(earlier.record_kind, earlier.tenant_id, earlier.record_name)
            subject = book.records.get(key)
            assert subject is not None, f"claimed record {key} is gone"
            return StepResult(record=cast(R, subject), replayed=True)
    work = StepWork(context, book, step.subject_store.kind)
    subject = step.apply(work)
    claim = None
    if claim_slot is not None:
        subject_key = step.subject_key(subject)
        claim = StepClaim(
            tenant_id=step.tenant_id,
            idempotency_key=claim_slot[1],
            request_hash=step.request_hash(),
            record_kind=subject_key.kind,
            record_name=subject_key.name,
            created_at=context.now,
        )
    return StepResult(record=subject, transfers=work.finish(claim))


def save_records(connection: Connection, book: RecordBook) -> None:
    """Write each changed record once, kind by kind, then the batch's new claims."""
    changed = sorted(book.changed)
    for kind, keys in groupby(changed, lambda key: key.kind):
        book.stores[kind].save(
            connection, [(book.locked.get(key), book.records[key]) for key in keys]
        )
    step_claims_repository.add(connection, book.new_claims)
