"""The refusals of the wallet flows, as ledger errors: every surface maps them by their base
class (NotFound, Conflict, ValidationError, Unauthenticated) like the core's own."""

from __future__ import annotations

from uuid import UUID

from tallybook.ledger.errors import Conflict, NotFound, Unauthenticated, ValidationError


class InvalidState(Conflict):
    """The record's state does not allow the action (paying a cancelled withdrawal, editing an
    approved one). Names the state it is in: `details["current_state"]`."""

    code = "invalid_state"

    def __init__(self, what: str, record_id: UUID, state: str, action: str) -> None:
        super().__init__(f"{what} {record_id} is {state}: it cannot be {action}", field="status")
        self.current_state = state
        self.details["current_state"] = state


class TopUpExpired(InvalidState):
    """A top-up was confirmed or failed after its expiry."""

    code = "topup_expired"

    def __init__(self, topup_id: UUID, action: str) -> None:
        super().__init__("top-up", topup_id, "expired", action)


class TopUpNotFound(NotFound):
    code = "topup_not_found"

    def __init__(self, topup_id: UUID | int) -> None:
        super().__init__(f"top-up {topup_id} does not exist", field="topup_id")


class WithdrawalNotFound(NotFound):
    code = "withdrawal_not_found"

    def __init__(self, withdrawal_id: UUID | int) -> None:
        super().__init__(f"withdrawal {withdrawal_id} does not exist", field="withdrawal_id")


class OrderNotFound(NotFound):
    code = "order_not_found"

    def __init__(self, order_id: UUID) -> None:
        super().__init__(f"order {order_id} does not exist", field="order_id")


class DuplicateOrder(Conflict):
    """The order number is already used in the tenant."""

    code = "duplicate_order_number"


class RefundExceedsCharge(Conflict):
    """A refund asks for more than is left of the order's charge."""

    code = "refund_exceeds_charge"


class BelowMinimum(ValidationError):
    """A withdrawal is smaller than the tenant's minimum, or does not cover its fee."""

    code = "below_minimum"


class DailyLimitExceeded(Conflict):
    """The account's withdrawals of the day would pass the tenant's daily maximum."""

    code = "daily_limit_exceeded"


class InvalidSignature(Unauthenticated):
    """A payment-channel callback's signature is missing or wrong, or the channel has no
    callback secret."""

    code = "invalid_signature"


class StaleTimestamp(Unauthenticated):
    """A payment-channel callback was signed outside the accepted window."""

    code = "stale_timestamp"
