"""The errors the ledger core raises; every surface maps them to its own envelope.

Each class carries a stable machine `code` (what clients branch on) and, where one input is to
blame, the `field` that names it. The core never speaks HTTP: the native API and each seed
adapter decide the status code and body for each class.
"""

from __future__ import annotations

from uuid import UUID


class LedgerError(Exception):
    """Base of every error the core raises on purpose. Nothing was written when one is raised."""

    code = "ledger_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Facts a client may branch on besides `code` (e.g. the state a record is in).
        self.details: dict[str, str] = {}


class ValidationError(LedgerError):
    """An input is malformed or out of range; the request can never succeed as sent."""

    code = "invalid_request"


class InvalidAmount(ValidationError):
    """An amount is not a positive exact decimal within the currency's decimals."""

    code = "invalid_amount"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class InvalidCurrency(ValidationError):
    """A currency code is malformed, or its decimals are out of range."""

    code = "invalid_currency"

    def __init__(self, currency: str, message: str) -> None:
        super().__init__(f"{currency}: {message}", field="currency")


class NotFound(LedgerError):
    """An object does not exist in this tenant (another tenant's objects do not exist either)."""

    code = "not_found"


class TenantNotFound(NotFound):
    code = "tenant_not_found"


class AccountNotFound(NotFound):
    code = "account_not_found"


class TransferNotFound(NotFound):
    code = "transfer_not_found"


class UnknownCurrency(LedgerError):
    """The tenant has not configured this currency."""

    code = "unknown_currency"

    def __init__(self, currency: str) -> None:
        super().__init__(f"currency {currency} is not configured for this tenant", field="currency")


class Conflict(LedgerError):
    """The request is well formed but the ledger's current state refuses it."""

    code = "conflict"


class InsufficientFunds(Conflict):
    """The debit account's available balance (posted - held + credit limit) is too small."""

    code = "insufficient_funds"


class AccountFrozen(Conflict):
    """A frozen account refuses debits (and new holds); it still accepts credits."""

    code = "account_frozen"


class AccountClosed(Conflict):
    """A closed account refuses every movement."""

    code = "account_closed"


class AccountNotEmpty(Conflict):
    """An account can be closed only when every balance is zero and nothing is held."""

    code = "account_not_empty"


class DuplicateAccount(Conflict):
    """Another account of the tenant already has this external id."""

    code = "duplicate_external_id"


class SameAccount(ValidationError):
    """A transfer must move money between two different accounts."""

    code = "same_account"


class TransferNotPending(Conflict):
    """A post or void names a transfer that is not a pending hold."""

    code = "transfer_not_pending"


class HoldAlreadyResolved(Conflict):
    """The hold was already posted, voided or expired: a hold resolves exactly once."""

    code = "hold_already_resolved"


class HoldExpired(HoldAlreadyResolved):
    """The hold's timeout passed before it was posted."""

    code = "hold_expired"


class PostExceedsHold(ValidationError):
    """A post asks for more than the hold reserved."""

    code = "post_exceeds_hold"


class TransferNotReversible(Conflict):
    """Only a posted transfer that is not itself a reversal can be reversed."""

    code = "transfer_not_reversible"


class TransferOwnedByFlow(Conflict):
    """A transfer a wallet flow wrote (a withdrawal's hold, an order's payment, a top-up's
    credit, their refunds and resolutions) is posted, voided or reversed only through that
    flow, so the flow's record and its money never disagree. `details["flow"]` names it."""

    code = "transfer_owned_by_flow"

    def __init__(self, transfer_id: UUID, flow: str, field: str) -> None:
        super().__init__(
            f"transfer {transfer_id} belongs to a {flow}: act on the {flow} instead", field=field
        )
        self.details["flow"] = flow


class AlreadyReversed(Conflict):
    """A transfer is reversed at most once."""

    code = "already_reversed"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before with different content; nothing moved."""

    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used with a different request",
            field="idempotency_key",
        )


class BatchFailed(Conflict):
    """One transfer of an atomic batch was refused, so none of them was applied."""

    code = "batch_failed"

    def __init__(self, index: int, cause: LedgerError) -> None:
        super().__init__(f"transfer {index} of the batch was refused: {cause.message}")
        self.index = index
        self.cause = cause
        self.field = f"transfers[{index}].{cause.field}" if cause.field else f"transfers[{index}]"


class Unauthenticated(LedgerError):
    """No live API key came with the request (missing, unknown and revoked look the same)."""

    code = "unauthenticated"


class Forbidden(LedgerError):
    """The API key's role does not allow the request."""

    code = "forbidden"


class EngineUnavailable(LedgerError):
    """The posting engine is stopped or could not reach the database after retries."""

    code = "engine_unavailable"
