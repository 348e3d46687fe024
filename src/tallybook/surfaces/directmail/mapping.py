"""How a line of Tallybook's balance history becomes a DirectMail score log row.

The one place that maps transfer types to DirectMail's `type` numbers and `pay_way` words
(docs/compat.md has the table). The seed shows 1 (an order paid from the balance), 9 (money
the system gives back) and 10 (an allocation between an agent and a sub-agent); Tallybook
adds 2 (top-up), 3 (withdrawal), 4 (adjustment), 5 (fee) and 11 (reversal).
"""

from __future__ import annotations

from typing import Any

from tallybook.ledger.queries import HistoryLine
from tallybook.model import Account, TransferType
from tallybook.surfaces.common import TenantStyle

TYPE_NUMBERS: dict[TransferType, int] = {
    TransferType.ORDER_PAYMENT: 1,
    TransferType.TOPUP: 2,
    TransferType.WITHDRAWAL: 3,
    TransferType.ADJUSTMENT: 4,
    TransferType.FEE: 5,
    TransferType.REFUND: 9,
    TransferType.ALLOCATION: 10,
    TransferType.REVERSAL: 11,
}
TRANSFER_TYPES: dict[int, TransferType] = {number: kind for kind, number in TYPE_NUMBERS.items()}

BALANCE = "Balance"  # paid from (or moved within) the balance
SYSTEM = "System"  # given or corrected by the platform
# Top-ups and withdrawals show their payment channel ("alipay") when they have one.
PAY_WAYS: dict[TransferType, str] = {
    TransferType.ORDER_PAYMENT: BALANCE,
    TransferType.TOPUP: SYSTEM,
    TransferType.WITHDRAWAL: BALANCE,
    TransferType.ADJUSTMENT: SYSTEM,
    TransferType.FEE: BALANCE,
    TransferType.REFUND: SYSTEM,
    TransferType.ALLOCATION: BALANCE,
    TransferType.REVERSAL: SYSTEM,
}
CHANNEL_PAY_WAYS = frozenset({TransferType.TOPUP, TransferType.WITHDRAWAL})
NO_COUNTRY = "NONE"
MAX_INVOICE_NUMBER = 2**63 - 1


def plain_amount(money: str) -> str:
    """A decimal string without trailing zeros, as the seed writes them: "115", "-5.175"."""
    if "." not in money:
        return money
    return money.rstrip("0").rstrip(".")


def invoice_number(invoice_id: str | None) -> int:
    """`inv_id` is an integer in the seed: the transfer's invoice id when it is one, else 0."""
    if invoice_id is None or not invoice_id.isascii() or not invoice_id.isdigit():
        return 0
    number = int(invoice_id)
    return number if number <= MAX_INVOICE_NUMBER else 0


def pay_way(line: HistoryLine) -> str:
    kind = line.type
    channel = line.references.channel
    if kind in CHANNEL_PAY_WAYS and channel:
        return channel
    return PAY_WAYS[kind]


def score_log(
    line: HistoryLine, agent: Account, parent: Account | None, style: TenantStyle
) -> dict[str, Any]:
    """One row, its keys in the order of the seed's sample. `pid` is the parent agent's id,
    or the agent's own id when it has no parent (as the seed shows for agent 2)."""
    entry, references = line.entry, line.references
    written = style.local(entry.created_at)
    created_at = style.time(entry.created_at)

    def amount(minor: int) -> str:
        return plain_amount(style.money(minor, entry.currency))

    return {
        "id": entry.id,
        "created_at": created_at,
        "updated_at": created_at,  # a line of history never changes
        "agent_id": agent.number,
        "agent_name": agent.name,
        "inv_id": invoice_number(references.invoice_id),
        "pid": (parent or agent).number,
        "country_code": references.country_code or NO_COUNTRY,
        "order_no": references.order_number or "",
        "type": TYPE_NUMBERS[line.type],
        "pay_way": pay_way(line),
        "currency": entry.currency,
        "price": amount(entry.amount),
        "before_balance": amount(entry.balance_before),
        "after_balance": amount(entry.balance_after),
        "remark": references.note or "",
        "operator": references.operator or agent.name,
        "day": written.strftime("%Y-%m-%d"),
        "month": written.strftime("%Y-%m"),
    }
