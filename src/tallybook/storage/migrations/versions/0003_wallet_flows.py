"""Wallet flows: top-ups, withdrawals with their daily totals, orders and refunds, the
tenant's wallet settings and payment channels, and the idempotency claims of flow steps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tallybook.storage.types import JsonDocument, UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _foreign_key(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "step_claims",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("record_kind", sa.String(32), nullable=False),
        sa.Column("record_name", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _foreign_key("step_claims", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("tenant_id", "idempotency_key", name="pk_step_claims"),
    )
    op.create_table(
        "topups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("metadata", JsonDocument, nullable=False),
        sa.Column("external_reference", sa.String(128), nullable=True),
        sa.Column("receipt_id", sa.String(64), nullable=True),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("confirmed_via", sa.String(16), nullable=True),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _foreign_key("topups", "tenant_id", "tenants"),
        _foreign_key("topups", "account_id", "accounts"),
        _foreign_key("topups", "transfer_id", "transfers"),
        sa.PrimaryKeyConstraint("id", name="pk_topups"),
    )
    op.create_index("ix_topups_tenant_id_account_id", "topups", ["tenant_id", "account_id"])
    op.create_index(
        "ix_topups_pending_expires_at",
        "topups",
        ["expires_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("destination", JsonDocument, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("receipt_id", sa.String(64), nullable=False),
        sa.Column("payout_hold_id", sa.Uuid(), nullable=False),
        sa.Column("fee_hold_id", sa.Uuid(), nullable=True),
        sa.Column("payout_reference", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _foreign_key("withdrawals", "tenant_id", "tenants"),
        _foreign_key("withdrawals", "account_id", "accounts"),
        _foreign_key("withdrawals", "payout_hold_id", "transfers"),
        _foreign_key("withdrawals", "fee_hold_id", "transfers"),
        sa.PrimaryKeyConstraint("id", name="pk_withdrawals"),
    )
    op.create_index(
        "ix_withdrawals_tenant_id_account_id", "withdrawals", ["tenant_id", "account_id"]
    )
    op.create_table(
        "withdrawal_day_totals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        _foreign_key("withdrawal_day_totals", "tenant_id", "tenants"),
        _foreign_key("withdrawal_day_totals", "account_id", "accounts"),
        sa.PrimaryKeyConstraint("account_id", "currency", "day", name="pk_withdrawal_day_totals"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("order_number", sa.String(128), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("image_url", sa.String(2000), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("country_code", sa.String(8), nullable=True),
        sa.Column("tags", JsonDocument, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("metadata", JsonDocument, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("receipt_id", sa.String(64), nullable=False),
        sa.Column("payment_transfer_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _foreign_key("orders", "tenant_id", "tenants"),
        _foreign_key("orders", "account_id", "accounts"),
        _foreign_key("orders", "payment_transfer_id", "transfers"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("tenant_id", "order_number", name="uq_orders_tenant_id_order_number"),
    )
    op.create_index("ix_orders_tenant_id_account_id", "orders", ["tenant_id", "account_id"])
    op.create_table(
        "order_refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("receipt_id", sa.String(64), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _foreign_key("order_refunds", "tenant_id", "tenants"),
        _foreign_key("order_refunds", "order_id", "orders"),
        _foreign_key("order_refunds", "transfer_id", "transfers"),
        sa.PrimaryKeyConstraint("id", name="pk_order_refunds"),
    )
    op.create_index("ix_order_refunds_order_id", "order_refunds", ["order_id"])
    op.create_table(
        "wallet_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("topup_expiry_seconds", sa.Integer(), nullable=False),
        sa.Column("withdrawal_fee_basis_points", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _foreign_key("wallet_settings", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_wallet_settings"),
    )
    op.create_table(
        "withdrawal_rules",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("fee_fixed", sa.BigInteger(), nullable=False),
        sa.Column("minimum", sa.BigInteger(), nullable=False),
        sa.Column("daily_maximum", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _foreign_key("withdrawal_rules", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("tenant_id", "currency", name="pk_withdrawal_rules"),
    )
    op.create_table(
        "payment_channels",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("callback_secret", sa.String(128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _foreign_key("payment_channels", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_payment_channels"),
    )


def downgrade() -> None:
    for table in (
        "payment_channels",
        "withdrawal_rules",
        "wallet_settings",
        "order_refunds",
        "orders",
        "withdrawal_day_totals",
        "withdrawals",
        "topups",
        "step_claims",
    ):
        op.drop_table(table)
