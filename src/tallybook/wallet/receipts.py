"""Receipt ids: what a customer is shown for a top-up, an order payment, a refund or a payout.

A receipt id is a kind prefix and a new time-ordered id in Crockford base32 (26 characters):
`TU-01JD3X8Q4M2N6P7R9S0T1V2W3X`. Unique without a shared counter (a counter would make every
flow of a tenant wait on one row), readable aloud (no I, L, O, U), and sorted by time.
"""

from __future__ import annotations

from tallybook.ledger.ids import new_id

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DIGITS = 26  # 128 bits in 5-bit digits

TOPUP = "TU"
WITHDRAWAL = "WD"
ORDER_PAYMENT = "OP"
REFUND = "RF"


def new_receipt_id(prefix: str) -> str:
    value = new_id().int
    digits = []
    for _ in range(_DIGITS):
        digits.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"{prefix}-{''.join(reversed(digits))}"
