"""The balance history W5 and W6 read, the same for Tallybook and for the DRF baseline.

Transfers come in blocks of five, one a second: top-up, order payment, top-up, order payment,
top-up. A block belongs to one of 100 customers in turn; a top-up brings 10.00 CNY from the
world account, an order payment pays 3.50 CNY to the revenue account. So every customer stays
in funds, `entries` = 2 x transfers, and the revenue account gets one entry in five: W5 pages
through its order payments (100,000 rows deep needs more than 100,100 of them) and W6 reads
its balance (1,000,000 entries in the full run).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

CUSTOMERS = 100
BLOCK = ("topup", "order_payment", "topup", "order_payment", "topup")
TOPUP_MINOR = 1000
PAYMENT_MINOR = 350


@dataclass(frozen=True)
class HistoryShape:
    entries: int
    started_at: datetime

    @property
    def transfers(self) -> int:
        return self.entries // 2 // len(BLOCK) * len(BLOCK)

    @property
    def revenue_entries(self) -> int:
        return self.transfers // len(BLOCK) * 2

    def moment(self, transfer_number: int) -> datetime:
        return self.started_at + timedelta(seconds=transfer_number)

    @property
    def middle(self) -> datetime:
        """A past moment half-way through the history (W6's as-of)."""
        return self.moment(self.transfers // 2) + timedelta(milliseconds=500)


def shape_ending_an_hour_ago(entries: int) -> HistoryShape:
    """A history of `entries` entries, one transfer a second, ending an hour ago."""
    now = datetime.now(UTC).replace(microsecond=0)
    return HistoryShape(entries, now - timedelta(seconds=entries // 2 + 3600))


@dataclass(frozen=True, slots=True)
class Move:
    number: int
    type: str
    customer: int  # 0 .. CUSTOMERS - 1
    is_topup: bool
    amount_minor: int


def moves(shape: HistoryShape) -> Iterator[Move]:
    for number in range(shape.transfers):
        block, position = divmod(number, len(BLOCK))
        kind = BLOCK[position]
        is_topup = kind == "topup"
        yield Move(
            number,
            kind,
            block % CUSTOMERS,
            is_topup,
            TOPUP_MINOR if is_topup else PAYMENT_MINOR,
        )
