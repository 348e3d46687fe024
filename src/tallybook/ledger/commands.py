"""The money-moving commands the posting engine accepts: frozen values, one per intention.

A command carries everything it needs, including its optional idempotency key, so that the
engine can batch commands from many callers into one transaction and still answer each one
on its own. Amounts are exact decimals in the currency's major unit (`Decimal("12.50")`); the
engine converts them to minor units with the tenant's currency setting, inside the
transaction, and refuses any that would need rounding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson

from tallybook.model import References, Transfer, TransferType

MAX_BATCH_TRANSFERS = 1000
MAX_HOLD_TIMEOUT_SECONDS = 366 * 24 * 3600


@dataclass(frozen=True, slots=True)
class CreateTransfer:
    """Move `amount` from the debit account to the credit account.

    With `pending=True` it only places a hold: the amount counts against the debit account's
    available balance at once and moves when the hold is posted. `timeout_seconds` makes the
    hold expire by itself.

    Refused with: InvalidAmount (not positive, too many decimals), UnknownCurrency,
    AccountNotFound (either account, or another tenant's), SameAccount, AccountFrozen (debit
    side), AccountClosed (either side), InsufficientFunds (customer debit account),
    ValidationError (type `reversal`, a timeout on a posted transfer or out of range, a
    reference too long), IdempotencyConflict.
    """

    tenant_id: UUID
    debit_account_id: UUID
    credit_account_id: UUID
    amount: Decimal
    currency: str
    type: TransferType
    references: References = field(default_factory=References)
    pending: bool = False
    timeout_seconds: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class PostPending:
    """Post a hold, fully (`amount=None`) or partly; the rest of the hold is released.

    Refused with: TransferNotFound, TransferNotPending (not a hold), HoldAlreadyResolved,
    HoldExpired (its timeout passed, or it was expired), PostExceedsHold, InvalidAmount,
    AccountFrozen (debit side), AccountClosed, IdempotencyConflict.
    """

    tenant_id: UUID
    pending_id: UUID
    amount: Decimal | None = None
    note: str | None = None
    operator: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class VoidPending:
    """Release a hold without moving anything.

    Refused with: TransferNotFound, TransferNotPending, HoldAlreadyResolved, HoldExpired,
    IdempotencyConflict.
    """

    tenant_id: UUID
    pending_id: UUID
    note: str | None = None
    operator: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ReverseTransfer:
    """Move a posted transfer's amount back, as a new transfer of type `reversal`.

    Refused with: TransferNotFound, TransferNotReversible (a hold, a posted hold's own row, or
    a reversal), AlreadyReversed, AccountFrozen / InsufficientFunds (on the original credit
    account, now debited), AccountClosed (either account), IdempotencyConflict.
    """

    tenant_id: UUID
    transfer_id: UUID
    note: str | None = None
    operator: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class TransferBatch:
    """Several transfers applied atomically: all of them, or none.

    Refused with: BatchFailed (naming the first refused transfer's index and its error),
    ValidationError (empty, more than MAX_BATCH_TRANSFERS, a member of another tenant or with
    its own idempotency key), IdempotencyConflict.
    """

    tenant_id: UUID
    transfers: tuple[CreateTransfer, ...]
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SetBalance:
    """Bring an account's own balance (posted - held: its money, less what a pending payout
    has reserved) to `target` with one adjustment transfer from or to its tenant's `world`
    account of the currency. The history shows the adjustment; nothing is overwritten.

    The difference is worked out under the balance lock, in the transaction that writes it,
    so two requests for the same target adjust once. When the balance already is the target,
    nothing is written and the result holds no transfer.

    Refused with: InvalidAmount (`target` negative, or with too many decimals),
    UnknownCurrency, AccountNotFound, ValidationError (a system account to set, or a
    `world_account_id` that is not the tenant's world account of the currency), AccountFrozen
    (lowering a frozen account), AccountClosed, IdempotencyConflict.
    """

    tenant_id: UUID
    account_id: UUID
    world_account_id: UUID
    currency: str
    target: Decimal
    references: References = field(default_factory=References)
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ExpireDueHolds:
    """Release every hold whose timeout has passed (of one tenant, or all), up to `limit`.

    Never refused; returns the expiry transfers it wrote (none when nothing was due).
    """

    tenant_id: UUID | None = None
    limit: int = 1000


Command = (
    CreateTransfer
    | PostPending
    | VoidPending
    | ReverseTransfer
    | TransferBatch
    | SetBalance
    | ExpireDueHolds
)


@dataclass(frozen=True, slots=True)
class PostingResult:
    """What a command produced: the transfers it wrote (or wrote the first time, on a replay)."""

    transfers: tuple[Transfer, ...]
    replayed: bool = False

    @property
    def transfer(self) -> Transfer:
        """The one transfer of a single-transfer command."""
        assert len(self.transfers) == 1, "this command wrote several transfers"
        return self.transfers[0]


def batch_member_key(batch_key: str, index: int) -> str:
    """The idempotency key stored on the `index`-th transfer of a keyed batch."""
    return f"{batch_key}#{index}"


def request_hash(command: Command) -> str:
    """A stable digest of a command's content, its idempotency key left out.

    The same key with the same hash is a retry; the same key with another hash is a conflict.
    """
    # `_content` is plain already: walking it again with `_plain` would change nothing.
    content = _content(command)
    quick = _canonical_json_quickly(content) if _without_metadata(command) else None
    return _sha256(quick if quick is not None else _canonical_json(content))


def _without_metadata(command: Command) -> bool:
    """A transfer, or a batch of them, none with metadata: its content is then only text,
    whole numbers, booleans, None and lists of text (see `_transfer_content`)."""
    if isinstance(command, CreateTransfer):
        return not command.references.metadata
    if isinstance(command, TransferBatch):
        return all(not transfer.references.metadata for transfer in command.transfers)
    return False


def _canonical_json_quickly(content: dict[str, Any]) -> str | None:
    """`_canonical_json(content)` written by orjson, or None where the two might differ.

    Why: the standard library's encoder took 5.5 of the 10.8 us a transfer's hash took
    (orjson: 0.4). For text, whole numbers, booleans and None the two write the same bytes,
    keys sorted and no spaces, as long as every character of every string is printable ASCII
    other than a quote or a backslash, which is checked below; the standard library escapes
    every other character, most as `\\uXXXX`. Floats and other values never come here
    (`_without_metadata`).
    """
    try:
        text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer past 64 bits
        return None
    # orjson escapes quotes, backslashes and control characters with a backslash (the same
    # escapes as the standard library's today, not relied on) and writes DEL and every
    # character past ASCII as they are: without these three, every character is printable
    # ASCII, which the standard library writes as it is too.
    if not text.isascii() or b"\\" in text or b"\x7f" in text:
        return None
    return text.decode()


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of `content` as canonical JSON (sorted keys; decimals, ids, records as text)."""
    return _sha256(_canonical_json(_plain(content)))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _content(command: Command) -> dict[str, Any]:
    if isinstance(command, TransferBatch):
        return {
            "kind": "batch",
            "tenant_id": str(command.tenant_id),
            "transfers": [_transfer_content(transfer) for transfer in command.transfers],
        }
    if isinstance(command, CreateTransfer):
        return _transfer_content(command)
    content: dict[str, Any] = {"kind": type(command).__name__}
    for name in command.__dataclass_fields__:
        if name == "idempotency_key":
            continue
        content[name] = _plain(getattr(command, name))
    return content


def _transfer_content(transfer: CreateTransfer) -> dict[str, Any]:
    """What the generic walk below makes of a `CreateTransfer`, written out field by field.

    Why: a keyed 1,000-transfer batch spent longer walking its transfers for this hash than
    posting them. The content must stay exactly the generic one, or a retry of a request
    stored before would read as a conflict (the tests pin digests made by the walk).
    """
    references = transfer.references
    return {
        "kind": "CreateTransfer",
        "tenant_id": str(transfer.tenant_id),
        "debit_account_id": str(transfer.debit_account_id),
        "credit_account_id": str(transfer.credit_account_id),
        "amount": _plain(transfer.amount),
        "currency": transfer.currency,
        "type": transfer.type,
        "references": references.flat() | {"metadata": _plain(references.metadata)},
        "pending": transfer.pending,
        "timeout_seconds": transfer.timeout_seconds,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, References):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Decimal):
        # Normalised so that "10.50" and "10.5" are the same request.
        return str(value.normalize())
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
