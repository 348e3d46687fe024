"""Applying commands to balances held under lock, in memory, one command at a time.

The engine loads and locks everything a batch touches, then hands each command to `apply`.
A command works on a `Unit`: copies of the balances it changes and the rows it will write.
Only when the whole command succeeds is the unit merged into the batch; a refused command
(or one refused transfer of an atomic `TransferBatch`) leaves the batch exactly as it was.
So each command succeeds or fails on its own although all share one database transaction.

No SQL here: the engine reads before and writes after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from tallybook.ledger import errors
from tallybook.ledger.chain import entry_hash
from tallybook.ledger.commands import (
    MAX_BATCH_TRANSFERS,
    MAX_HOLD_TIMEOUT_SECONDS,
    Command,
    CreateTransfer,
    ExpireDueHolds,
    PostingResult,
    PostPending,
    ReverseTransfer,
    SetBalance,
    TransferBatch,
    VoidPending,
    batch_member_key,
    request_hash,
)
from tallybook.ledger.ids import new_id
from tallybook.ledger.limits import (
    MAX_NOTE_LENGTH,
    MAX_REFERENCE_LENGTH,
    check_idempotency_key,
    check_references,
    check_text,
)
from tallybook.ledger.money import to_minor_units
from tallybook.model import (
    AccountKind,
    AccountStatus,
    References,
    SystemAccount,
    Transfer,
    TransferStatus,
    TransferType,
)
from tallybook.storage.locked_rows import BalanceKey, LockedAccount, LockedBalance

IdempotencySlot = tuple[UUID, str]


@dataclass
class BatchContext:
    """Everything one batch read under its locks, and everything it will write."""

    now: datetime
    accounts: dict[UUID, LockedAccount]
    decimals: dict[tuple[UUID, str], int]
    balances: dict[BalanceKey, LockedBalance]
    referenced: dict[UUID, Transfer]
    resolutions: dict[UUID, TransferStatus]
    reversed: set[UUID]
    claimed: dict[IdempotencySlot, Transfer]
    due_holds: dict[UUID | None, list[Transfer]]
    new_transfers: list[Transfer] = field(default_factory=list)
    resolved_holds: list[tuple[UUID, TransferStatus]] = field(default_factory=list)
    new_entries: list[dict[str, Any]] = field(default_factory=list)
    changed_balances: set[BalanceKey] = field(default_factory=set)


class Unit:
    """One command's changes, kept apart until the command has fully succeeded."""

    def __init__(self, context: BatchContext) -> None:
        self.context = context
        self.balances: dict[BalanceKey, LockedBalance] = {}
        self.transfers: list[Transfer] = []
        self.resolved_holds: list[tuple[UUID, TransferStatus]] = []
        self.entries: list[dict[str, Any]] = []

    def balance(self, key: BalanceKey) -> LockedBalance:
        """This unit's working copy of a locked balance (copied on first use)."""
        working = self.balances.get(key)
        if working is None:
            working = self.context.balances[key].copy()
            self.balances[key] = working
        return working

    def commit(self) -> None:
        context = self.context
        context.balances.update(self.balances)
        context.changed_balances.update(self.balances)
        context.new_transfers.extend(self.transfers)
        context.resolved_holds.extend(self.resolved_holds)
        context.resolutions.update(
            (transfer.pending_id, transfer.status)
            for transfer in self.transfers
            if transfer.pending_id is not None
        )
        context.reversed.update(
            transfer.reversal_of_id
            for transfer in self.transfers
            if transfer.reversal_of_id is not None
        )
        context.claimed.update(
            ((transfer.tenant_id, transfer.idempotency_key), transfer)
            for transfer in self.transfers
            if transfer.idempotency_key is not None
        )
        context.new_entries.extend(self.entries)
        # A hold placed earlier in the batch can be resolved later in it (a wallet step that
        # replaces a withdrawal's hold twice in one batch): it is referenced like a loaded one.
        context.referenced.update(
            (transfer.id, transfer)
            for transfer in self.transfers
            if transfer.status is TransferStatus.PENDING
        )


# ---------------------------------------------------------------------------------------------
# What a command touches, worked out before anything is locked.


def idempotency_slots(command: Command) -> list[IdempotencySlot]:
    """The (tenant, key) pairs a command would claim."""
    if isinstance(command, ExpireDueHolds) or command.idempotency_key is None:
        return []
    if isinstance(command, TransferBatch):
        return [
            (command.tenant_id, batch_member_key(command.idempotency_key, index))
            for index in range(len(command.transfers))
        ]
    return [(command.tenant_id, command.idempotency_key)]


def referenced_transfer_ids(command: Command) -> list[UUID]:
    if isinstance(command, PostPending | VoidPending):
        return [command.pending_id]
    if isinstance(command, ReverseTransfer):
        return [command.transfer_id]
    return []


def footprint(
    command: Command,
    referenced: dict[UUID, Transfer],
    due_holds: dict[UUID | None, list[Transfer]],
) -> Iterable[tuple[UUID, UUID, str]]:
    """(tenant, account, currency) of every balance the command may change."""
    if isinstance(command, CreateTransfer):
        yield command.tenant_id, command.debit_account_id, command.currency
        yield command.tenant_id, command.credit_account_id, command.currency
    elif isinstance(command, TransferBatch):
        for transfer in command.transfers[:MAX_BATCH_TRANSFERS]:
            yield from footprint(transfer, referenced, due_holds)
    elif isinstance(command, ExpireDueHolds):
        for hold in due_holds.get(command.tenant_id, []):
            yield hold.tenant_id, hold.debit_account_id, hold.currency
    elif isinstance(command, SetBalance):
        yield command.tenant_id, command.account_id, command.currency
        yield command.tenant_id, command.world_account_id, command.currency
    else:
        target = referenced.get(referenced_transfer_ids(command)[0])
        if target is not None and target.tenant_id == command.tenant_id:
            yield target.tenant_id, target.debit_account_id, target.currency
            yield target.tenant_id, target.credit_account_id, target.currency


# ---------------------------------------------------------------------------------------------
# Applying a command.


def request_digest(command: Command) -> str | None:
    """What `apply` takes as the command's `key_hash`: its request hash if it has a key (the
    hash its transfers are stored with, see `commands.request_hash`), else None.

    Why apart from `apply`: it depends on the command alone, so the engine works it out
    before taking a batch's locks. Inside `apply` it was a third of applying a transfer,
    while the batch held its hot account's balance lock.
    """
    return request_hash(command) if idempotency_slots(command) else None


def apply(context: BatchContext, command: Command, key_hash: str | None) -> PostingResult:
    """Apply one command to the batch, or raise a LedgerError and change nothing. `key_hash`:
    `request_digest(command)`."""
    replay = _replay(context, command, key_hash)
    if replay is not None:
        return replay
    unit = Unit(context)
    if isinstance(command, CreateTransfer):
        written: tuple[Transfer, ...] = (_create(unit, command, command.idempotency_key, key_hash),)
    elif isinstance(command, TransferBatch):
        written = _batch(unit, command, key_hash)
    elif isinstance(command, PostPending):
        _refuse_flow_owned(context, command.tenant_id, command.pending_id, "pending_id")
        written = (_post(unit, command, key_hash),)
    elif isinstance(command, VoidPending):
        _refuse_flow_owned(context, command.tenant_id, command.pending_id, "pending_id")
        written = (_void(unit, command, key_hash),)
    elif isinstance(command, ReverseTransfer):
        _refuse_flow_owned(context, command.tenant_id, command.transfer_id, "transfer_id")
        written = (_reverse(unit, command, key_hash),)
    elif isinstance(command, SetBalance):
        written = _set_balance(unit, command, key_hash)
    else:
        written = _expire(unit, command)
    unit.commit()
    return PostingResult(transfers=written)


def _refuse_flow_owned(
    context: BatchContext, tenant_id: UUID, transfer_id: UUID, field: str
) -> None:
    """A command from outside the flows may not resolve or reverse a flow's transfer. Another
    tenant's transfer is left to the usual checks, which answer TransferNotFound: the refusal
    must not tell a caller that someone else's transfer exists, or which flow wrote it."""
    transfer = context.referenced.get(transfer_id)
    if transfer is not None and transfer.tenant_id == tenant_id and transfer.flow is not None:
        raise errors.TransferOwnedByFlow(transfer_id, transfer.flow, field)


def _replay(context: BatchContext, command: Command, key_hash: str | None) -> PostingResult | None:
    """The first result again for a retried key; a conflict for a reused one; else None."""
    slots = idempotency_slots(command)
    if not slots:
        return None
    assert not isinstance(command, ExpireDueHolds)
    check_idempotency_key(command.idempotency_key)
    found = [context.claimed.get(slot) for slot in slots]
    if all(transfer is None for transfer in found):
        return None
    earlier = [transfer for transfer in found if transfer is not None]
    if len(earlier) != len(slots) or any(t.request_hash != key_hash for t in earlier):
        raise errors.IdempotencyConflict(command.idempotency_key or "")
    return PostingResult(transfers=tuple(earlier), replayed=True)


def _account(
    unit: Unit, tenant_id: UUID, account_id: UUID, currency: str, field: str
) -> LockedAccount:
    """The account, if it is the tenant's and can hold `currency`.

    A system account belongs to one currency (`@world:CNY`): using it in another would open
    a balance the double-entry bookkeeping of that currency knows nothing about.
    """
    account = unit.context.accounts.get(account_id)
    if account is None or account.tenant_id != tenant_id:
        raise errors.AccountNotFound(f"account {account_id} does not exist", field=field)
    if account.kind is AccountKind.SYSTEM and account.metadata.get("currency") != currency:
        raise errors.ValidationError(
            f"system account {account.external_id} holds only "
            f"{account.metadata.get('currency')}, not {currency}",
            field=field,
        )
    return account


def _decimals(unit: Unit, tenant_id: UUID, currency: str) -> int:
    decimals = unit.context.decimals.get((tenant_id, currency))
    if decimals is None:
        raise errors.UnknownCurrency(currency)
    return decimals


def _check_can_debit(account: LockedAccount, field: str) -> None:
    if account.status is AccountStatus.CLOSED:
        raise errors.AccountClosed(f"account {account.id} is closed", field=field)
    if account.status is AccountStatus.FROZEN:
        raise errors.AccountFrozen(f"account {account.id} is frozen", field=field)


def _check_can_credit(account: LockedAccount, field: str) -> None:
    if account.status is AccountStatus.CLOSED:
        raise errors.AccountClosed(f"account {account.id} is closed", field=field)


def _check_available(account: LockedAccount, balance: LockedBalance, amount: int) -> None:
    """A customer account never spends below zero (or below minus its credit limit)."""
    if account.kind is AccountKind.SYSTEM:
        return
    available = balance.posted - balance.held + balance.credit_limit
    if available < amount:
        raise errors.InsufficientFunds(
            f"account {account.id} has {available} minor units available in "
            f"{balance.currency}, {amount} needed",
            field="amount",
        )


def _create(
    unit: Unit,
    command: CreateTransfer,
    idempotency_key: str | None,
    key_hash: str | None,
    flow: str | None = None,
) -> Transfer:
    if command.type is TransferType.REVERSAL:
        raise errors.ValidationError("reversals are made by reversing a transfer", field="type")
    check_references(command.references)
    if command.debit_account_id == command.credit_account_id:
        raise errors.SameAccount(
            "debit and credit accounts are the same", field="credit_account_id"
        )
    decimals = _decimals(unit, command.tenant_id, command.currency)
    amount = to_minor_units(command.amount, decimals)
    expires_at = _hold_deadline(unit.context.now, command)
    debit_account = _account(
        unit, command.tenant_id, command.debit_account_id, command.currency, "debit_account_id"
    )
    credit_account = _account(
        unit, command.tenant_id, command.credit_account_id, command.currency, "credit_account_id"
    )
    _check_can_debit(debit_account, "debit_account_id")
    _check_can_credit(credit_account, "credit_account_id")
    debit = unit.balance((debit_account.id, command.currency))
    _check_available(debit_account, debit, amount)
    transfer = Transfer(
        id=new_id(),
        tenant_id=command.tenant_id,
        debit_account_id=debit_account.id,
        credit_account_id=credit_account.id,
        amount=amount,
        currency=command.currency,
        type=command.type,
        status=TransferStatus.PENDING if command.pending else TransferStatus.POSTED,
        pending_id=None,
        reversal_of_id=None,
        references=command.references,
        idempotency_key=idempotency_key,
        request_hash=key_hash,
        created_at=unit.context.now,
        expires_at=expires_at,
        flow=flow,
    )
    if command.pending:
        debit.held += amount
        debit.version += 1
    else:
        _append_entries(unit, transfer)
    unit.transfers.append(transfer)
    return transfer


def _hold_deadline(now: datetime, command: CreateTransfer) -> datetime | None:
    if command.timeout_seconds is None:
        return None
    if not command.pending:
        raise errors.ValidationError(
            "only a pending transfer can have a timeout", field="timeout_seconds"
        )
    if not 1 <= command.timeout_seconds <= MAX_HOLD_TIMEOUT_SECONDS:
        raise errors.ValidationError(
            f"a hold timeout is 1 to {MAX_HOLD_TIMEOUT_SECONDS} seconds", field="timeout_seconds"
        )
    return now + timedelta(seconds=command.timeout_seconds)


def _batch(unit: Unit, command: TransferBatch, key_hash: str | None) -> tuple[Transfer, ...]:
    if not 1 <= len(command.transfers) <= MAX_BATCH_TRANSFERS:
        raise errors.ValidationError(
            f"a batch holds 1 to {MAX_BATCH_TRANSFERS} transfers", field="transfers"
        )
    written = []
    for index, transfer in enumerate(command.transfers):
        if transfer.tenant_id != command.tenant_id or transfer.idempotency_key is not None:
            raise errors.ValidationError(
                "a batch's transfers share the batch's tenant and idempotency key",
                field=f"transfers[{index}]",
            )
        member_key = (
            batch_member_key(command.idempotency_key, index) if command.idempotency_key else None
        )
        try:
            written.append(_create(unit, transfer, member_key, key_hash))
        except errors.LedgerError as refused:
            raise errors.BatchFailed(index, refused) from refused
    return tuple(written)


def _open_hold(unit: Unit, tenant_id: UUID, pending_id: UUID) -> Transfer:
    """The hold `pending_id`, if it is still open; otherwise the error that says why not.

    `resolutions` was read after the balance locks (and grows as this batch resolves holds),
    so it is the truth; the hold row itself was read before the locks and may be stale.
    """
    hold = unit.context.referenced.get(pending_id)
    if hold is None or hold.tenant_id != tenant_id:
        raise errors.TransferNotFound(f"transfer {pending_id} does not exist", field="pending_id")
    if hold.pending_id is not None or (
        hold.status is TransferStatus.POSTED and (pending_id not in unit.context.resolutions)
    ):
        raise errors.TransferNotPending(f"transfer {pending_id} is not a hold", field="pending_id")
    resolution = unit.context.resolutions.get(pending_id)
    if resolution is None and hold.status is not TransferStatus.PENDING:
        resolution = hold.status
    if resolution is TransferStatus.EXPIRED:
        raise errors.HoldExpired(f"hold {pending_id} expired", field="pending_id")
    if resolution is not None:
        raise errors.HoldAlreadyResolved(
            f"hold {pending_id} was already {resolution}", field="pending_id"
        )
    return hold


def _resolve(
    unit: Unit,
    hold: Transfer,
    status: TransferStatus,
    amount: int,
    references: References,
    idempotency_key: str | None,
    key_hash: str | None,
) -> Transfer:
    """Release the hold and write the transfer that resolves it (with entries if posted)."""
    debit = unit.balance((hold.debit_account_id, hold.currency))
    debit.held -= hold.amount
    debit.version += 1
    resolution = dataclasses.replace(
        hold,
        id=new_id(),
        amount=amount,
        status=status,
        pending_id=hold.id,
        references=references,
        idempotency_key=idempotency_key,
        request_hash=key_hash,
        created_at=unit.context.now,
        expires_at=None,
    )
    if status is TransferStatus.POSTED:
        _append_entries(unit, resolution)
    unit.transfers.append(resolution)
    unit.resolved_holds.append((hold.id, status))
    return resolution


def _with_note(references: References, note: str | None, operator: str | None) -> References:
    """The references of the transfer resolved or reversed, with this command's note/operator."""
    check_text(note, "note", MAX_NOTE_LENGTH)
    check_text(operator, "operator", MAX_REFERENCE_LENGTH)
    return dataclasses.replace(
        references,
        note=note if note is not None else references.note,
        operator=operator if operator is not None else references.operator,
    )


# ---------------------------------------------------------------------------------------------
# The same rules as parts of a larger change: a wallet step (`ledger.steps`) moves money through
# these inside its own unit, so its transfers and its record changes succeed or fail together.
# They claim no idempotency key: the step claims one for the whole change.


def create_within(unit: Unit, command: CreateTransfer, flow: str) -> Transfer:
    """`CreateTransfer` inside `unit` for the `flow` (a step's record kind) that owns it; its
    own idempotency key must be None. Resolving a hold keeps its flow."""
    assert command.idempotency_key is None, "a step's transfers share the step's key"
    return _create(unit, command, None, None, flow)


def post_within(
    unit: Unit, tenant_id: UUID, pending_id: UUID, references: References | None = None
) -> Transfer:
    """Post a whole hold inside `unit`; `references` replace the hold's on the posting row."""
    return _post(unit, PostPending(tenant_id, pending_id), None, references)


def void_within(
    unit: Unit, tenant_id: UUID, pending_id: UUID, references: References | None = None
) -> Transfer:
    """Void a hold inside `unit`; `references` replace the hold's on the void row."""
    return _void(unit, VoidPending(tenant_id, pending_id), None, references)


def _post(
    unit: Unit,
    command: PostPending,
    key_hash: str | None,
    replaced_references: References | None = None,
) -> Transfer:
    hold = _open_hold(unit, command.tenant_id, command.pending_id)
    if hold.expires_at is not None and hold.expires_at <= unit.context.now:
        raise errors.HoldExpired(f"hold {hold.id} expired at {hold.expires_at}", field="pending_id")
    amount = hold.amount
    if command.amount is not None:
        amount = to_minor_units(command.amount, _decimals(unit, hold.tenant_id, hold.currency))
        if amount > hold.amount:
            raise errors.PostExceedsHold(
                f"the hold reserved {hold.amount} minor units, {amount} asked", field="amount"
            )
    debit_account = _account(
        unit, hold.tenant_id, hold.debit_account_id, hold.currency, "debit_account_id"
    )
    credit_account = _account(
        unit, hold.tenant_id, hold.credit_account_id, hold.currency, "credit_account_id"
    )
    _check_can_debit(debit_account, "debit_account_id")
    _check_can_credit(credit_account, "credit_account_id")
    references = _resolution_references(hold, command, replaced_references)
    return _resolve(
        unit, hold, TransferStatus.POSTED, amount, references, command.idempotency_key, key_hash
    )


def _resolution_references(
    hold: Transfer, command: PostPending | VoidPending, replaced: References | None
) -> References:
    if replaced is None:
        return _with_note(hold.references, command.note, command.operator)
    check_references(replaced)
    return replaced


def _void(
    unit: Unit,
    command: VoidPending,
    key_hash: str | None,
    replaced_references: References | None = None,
) -> Transfer:
    hold = _open_hold(unit, command.tenant_id, command.pending_id)
    references = _resolution_references(hold, command, replaced_references)
    return _resolve(
        unit,
        hold,
        TransferStatus.VOIDED,
        hold.amount,
        references,
        command.idempotency_key,
        key_hash,
    )


def _expire(unit: Unit, command: ExpireDueHolds) -> tuple[Transfer, ...]:
    expired = []
    for hold in unit.context.due_holds.get(command.tenant_id, []):
        if hold.id in unit.context.resolutions:
            continue  # resolved by another process, or earlier in this batch
        expired.append(
            _resolve(unit, hold, TransferStatus.EXPIRED, hold.amount, hold.references, None, None)
        )
    return tuple(expired)


def _reverse(unit: Unit, command: ReverseTransfer, key_hash: str | None) -> Transfer:
    original = unit.context.referenced.get(command.transfer_id)
    if original is None or original.tenant_id != command.tenant_id:
        raise errors.TransferNotFound(
            f"transfer {command.transfer_id} does not exist", field="transfer_id"
        )
    is_posted_hold = command.transfer_id in unit.context.resolutions
    if (
        original.status is not TransferStatus.POSTED
        or original.type is TransferType.REVERSAL
        or is_posted_hold
    ):
        raise errors.TransferNotReversible(
            f"transfer {original.id} is not a posted movement (a posted hold is reversed "
            "through the transfer that posted it)",
            field="transfer_id",
        )
    if original.id in unit.context.reversed:
        raise errors.AlreadyReversed(
            f"transfer {original.id} was already reversed", field="transfer_id"
        )
    debit_account = _account(
        unit, original.tenant_id, original.credit_account_id, original.currency, "transfer_id"
    )
    credit_account = _account(
        unit, original.tenant_id, original.debit_account_id, original.currency, "transfer_id"
    )
    _check_can_debit(debit_account, "transfer_id")
    _check_can_credit(credit_account, "transfer_id")
    debit = unit.balance((debit_account.id, original.currency))
    _check_available(debit_account, debit, original.amount)
    references = _with_note(original.references, command.note, command.operator)
    reversal = dataclasses.replace(
        original,
        id=new_id(),
        debit_account_id=debit_account.id,
        credit_account_id=credit_account.id,
        type=TransferType.REVERSAL,
        status=TransferStatus.POSTED,
        pending_id=None,
        reversal_of_id=original.id,
        references=references,
        idempotency_key=command.idempotency_key,
        request_hash=key_hash,
        created_at=unit.context.now,
        expires_at=None,
    )
    _append_entries(unit, reversal)
    unit.transfers.append(reversal)
    return reversal


def _set_balance(unit: Unit, command: SetBalance, key_hash: str | None) -> tuple[Transfer, ...]:
    """One adjustment for the difference between the target and the locked balance, made by
    `_create` so that it passes every check a transfer passes (status, funds, references)."""
    decimals = _decimals(unit, command.tenant_id, command.currency)
    if not command.target.is_finite() or command.target < 0:
        raise errors.InvalidAmount("target", "a balance is set to zero or more")
    target = 0 if command.target == 0 else to_minor_units(command.target, decimals, field="target")
    account = _account(unit, command.tenant_id, command.account_id, command.currency, "account_id")
    if account.kind is AccountKind.SYSTEM:
        raise errors.ValidationError("a system account's balance is not set", field="account_id")
    world = _account(
        unit, command.tenant_id, command.world_account_id, command.currency, "world_account_id"
    )
    if world.metadata.get("system") != SystemAccount.WORLD.value:
        raise errors.ValidationError(
            "balances are set against the tenant's world account", field="world_account_id"
        )
    balance = unit.balance((account.id, command.currency))
    difference = target - (balance.posted - balance.held)
    if difference == 0:
        return ()
    debit, credit = (world.id, account.id) if difference > 0 else (account.id, world.id)
    adjustment = CreateTransfer(
        tenant_id=command.tenant_id,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=Decimal(abs(difference)).scaleb(-decimals),
        currency=command.currency,
        type=TransferType.ADJUSTMENT,
        references=command.references,
    )
    return (_create(unit, adjustment, command.idempotency_key, key_hash),)


def _append_entries(unit: Unit, transfer: Transfer) -> None:
    """Two entries per posted transfer: the debit side, then the credit side."""
    for account_id, signed_amount in (
        (transfer.debit_account_id, -transfer.amount),
        (transfer.credit_account_id, transfer.amount),
    ):
        balance = unit.balance((account_id, transfer.currency))
        before = balance.posted
        after = before + signed_amount
        sequence = balance.last_sequence + 1
        digest = entry_hash(
            balance.last_entry_hash,
            transfer_id=transfer.id,
            account_id=account_id,
            currency=transfer.currency,
            amount=signed_amount,
            balance_before=before,
            balance_after=after,
            sequence=sequence,
            created_at=transfer.created_at,
        )
        unit.entries.append(
            {
                "tenant_id": transfer.tenant_id,
                "transfer_id": transfer.id,
                "account_id": account_id,
                "currency": transfer.currency,
                "amount": signed_amount,
                "balance_before": before,
                "balance_after": after,
                "sequence": sequence,
                "created_at": transfer.created_at,
                "hash": digest,
            }
        )
        balance.posted = after
        balance.last_sequence = sequence
        balance.last_entry_hash = digest
        balance.last_entry_at = transfer.created_at
        balance.version += 1
