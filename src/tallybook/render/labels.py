"""Words and numbers as a person reads them on a statement."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tallybook.ledger.money import format_minor_units
from tallybook.ledger.queries import HistoryLine
from tallybook.model import TransferType

TYPE_LABELS = {
    TransferType.TOPUP: "Top-up",
    TransferType.ORDER_PAYMENT: "Order payment",
    TransferType.REFUND: "Refund",
    TransferType.WITHDRAWAL: "Withdrawal",
    TransferType.ALLOCATION: "Allocation",
    TransferType.ADJUSTMENT: "Adjustment",
    TransferType.FEE: "Fee",
    TransferType.REVERSAL: "Reversal",
}


def grouped_money(minor: int, decimals: int) -> str:
    """`-1234567` with 2 decimals -> "-12,345.67": thousands grouped, exact digits."""
    text = format_minor_units(minor, decimals)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    groups = f"{int(whole):,}"
    return f"{sign}{groups}.{fraction}" if fraction else f"{sign}{groups}"


def local_time(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")


def reference_of(line: HistoryLine) -> str:
    """The reference a person looks for: the order, receipt or invoice number, else the
    channel the money came through."""
    references = line.references
    for value in (
        references.order_number,
        references.receipt_id,
        references.invoice_id,
        references.channel,
    ):
        if value:
            return value
    return ""
