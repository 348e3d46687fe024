"""Transfers say which wallet flow wrote them (`flow`: `topup`, `withdrawal`, `order`, ...).

Why: a flow's hold, payment or credit must change only through the flow, or its record and
its money disagree (a withdrawal's hold voided behind its back stays "pending" and can then be
paid out twice). The core refuses to post, void or reverse such a transfer from outside.
Existing rows are marked from the flow tables that name them; a resolution inherits its hold's.
Once marked, `flow` joins the columns the append-only trigger freezes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (flow, table, column naming one of its transfers)
FLOW_TRANSFER_COLUMNS = (
    ("topup", "topups", "transfer_id"),
    ("withdrawal", "withdrawals", "payout_hold_id"),
    ("withdrawal", "withdrawals", "fee_hold_id"),
    ("order", "orders", "payment_transfer_id"),
    ("order", "order_refunds", "transfer_id"),
)


FROZEN_BEFORE = (
    "id, tenant_id, debit_account_id, credit_account_id, amount, currency, type, pending_id, "
    "reversal_of_id, order_number, receipt_id, invoice_id, channel, country_code, tags, note, "
    "operator, metadata, idempotency_key, request_hash, created_at, expires_at"
)
FROZEN_AFTER = FROZEN_BEFORE + ", flow"


def _freeze(columns: str) -> None:
    """(Re)create the trigger that refuses any UPDATE of `columns` of a transfer."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER transfers_refuse_update ON transfers")
        op.execute(
            f"CREATE TRIGGER transfers_refuse_update BEFORE UPDATE OF {columns} ON transfers "
            "FOR EACH ROW EXECUTE FUNCTION tallybook_refuse_change()"
        )
        return
    op.execute("DROP TRIGGER transfers_refuse_update")
    op.execute(
        f"CREATE TRIGGER transfers_refuse_update BEFORE UPDATE OF {columns} ON transfers "
        "BEGIN SELECT RAISE(ABORT, 'transfers is append-only'); END"
    )


def upgrade() -> None:
    op.add_column("transfers", sa.Column("flow", sa.String(16), nullable=True))
    for flow, table, column in FLOW_TRANSFER_COLUMNS:
        op.execute(
            f"UPDATE transfers SET flow = '{flow}'"
            f" WHERE id IN (SELECT {column} FROM {table} WHERE {column} IS NOT NULL)"
        )
    op.execute(
        "UPDATE transfers SET flow = (SELECT hold.flow FROM transfers AS hold"
        " WHERE hold.id = transfers.pending_id)"
        " WHERE pending_id IS NOT NULL AND flow IS NULL"
    )
    _freeze(FROZEN_AFTER)


def downgrade() -> None:
    _freeze(FROZEN_BEFORE)
    op.drop_column("transfers", "flow")
