"""How a line of Tallybook's balance history becomes a CertCentral balance adjustment.

The one place that maps transfer types to `transaction_type` (docs/compat.md has the table):
every credit is `Credit`; an order payment is `Sale from Account Balance`; the other debits
are named for their transfer type.
"""

from __future__ import annotations

from typing import Any

from tallybook.ledger.queries import HistoryLine
from tallybook.model import Account, AccountStatus, TransferType
from tallybook.surfaces.common import TenantStyle

CREDIT = "Credit"
SALE = "Sale from Account Balance"
DEBIT_TRANSACTION_TYPES: dict[TransferType, str] = {
    TransferType.ORDER_PAYMENT: SALE,
    TransferType.TOPUP: "Top-up",
    TransferType.REFUND: "Refund",
    TransferType.WITHDRAWAL: "Withdrawal",
    TransferType.ALLOCATION: "Allocation",
    TransferType.ADJUSTMENT: "Adjustment",
    TransferType.FEE: "Fee",
    TransferType.REVERSAL: "Reversal",
}
NO_RECEIPT = "0"


def container(account: Account) -> dict[str, Any]:
    return {
        "id": account.number,
        "name": account.name,
        "is_active": account.status is AccountStatus.ACTIVE,
    }


def adjustment(line: HistoryLine, owner: Account, style: TenantStyle) -> dict[str, Any]:
    """One row, its keys in the order of the seed's sample; `currency` is Tallybook's addition
    (an account may hold several), and `order_id` appears on sales only, as in the seed."""
    entry, references = line.entry, line.references
    is_credit = entry.amount > 0
    is_sale = not is_credit and line.type is TransferType.ORDER_PAYMENT
    row: dict[str, Any] = {
        "id": str(entry.id),
        "container": container(owner),
        "credit" if is_credit else "debit": style.money(abs(entry.amount), entry.currency),
        "transaction_type": CREDIT if is_credit else DEBIT_TRANSACTION_TYPES[line.type],
        "receipt_id": NO_RECEIPT if is_credit else references.receipt_id or NO_RECEIPT,
        "transaction_date": style.time(entry.created_at),
        "balance_after": style.money(entry.balance_after, entry.currency),
    }
    if is_sale:
        row["order_id"] = references.order_number or NO_RECEIPT
    row["note"] = references.note or ""
    row["currency"] = entry.currency
    return row
