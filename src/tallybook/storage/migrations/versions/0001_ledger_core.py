"""Ledger core: tenants, currencies, accounts, balances, transfers, entries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tallybook.storage.types import BigIntegerPrimaryKey, JsonDocument, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), server_default="UTC", nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )
    op.create_table(
        "currencies",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_currencies_tenant_id_tenants"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "code", name="pk_currencies"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("metadata", JsonDocument, nullable=False),
        sa.Column("tags", JsonDocument, nullable=False),
        sa.Column("payout_profile", JsonDocument, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["accounts.id"], name="fk_accounts_parent_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_accounts_tenant_id_tenants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("tenant_id", "external_id", name="uq_accounts_tenant_id_external_id"),
    )
    op.create_index("ix_accounts_tenant_id_parent_id", "accounts", ["tenant_id", "parent_id"])
    op.create_table(
        "balances",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("posted", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("credit_limit", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("last_entry_hash", sa.String(64), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_balances_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_balances_tenant_id_tenants"
        ),
        sa.PrimaryKeyConstraint("account_id", "currency", name="pk_balances"),
    )
    op.create_index("ix_balances_tenant_id_currency", "balances", ["tenant_id", "currency"])
    op.create_table(
        "transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("debit_account_id", sa.Uuid(), nullable=False),
        sa.Column("credit_account_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pending_id", sa.Uuid(), nullable=True),
        sa.Column("reversal_of_id", sa.Uuid(), nullable=True),
        sa.Column("order_number", sa.String(128), nullable=True),
        sa.Column("receipt_id", sa.String(128), nullable=True),
        sa.Column("invoice_id", sa.String(128), nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("country_code", sa.String(8), nullable=True),
        sa.Column("tags", JsonDocument, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("metadata", JsonDocument, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["credit_account_id"], ["accounts.id"], name="fk_transfers_credit_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"], ["accounts.id"], name="fk_transfers_debit_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["pending_id"], ["transfers.id"], name="fk_transfers_pending_id_transfers"
        ),
        sa.ForeignKeyConstraint(
            ["reversal_of_id"], ["transfers.id"], name="fk_transfers_reversal_of_id_transfers"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_transfers_tenant_id_tenants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
        sa.UniqueConstraint("pending_id", name="uq_transfers_pending_id"),
        sa.UniqueConstraint("reversal_of_id", name="uq_transfers_reversal_of_id"),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name="uq_transfers_tenant_id_idempotency_key"
        ),
    )
    op.create_index("ix_transfers_tenant_id_created_at", "transfers", ["tenant_id", "created_at"])
    open_hold = sa.text("status = 'pending'")
    op.create_index(
        "ix_transfers_open_holds_expires_at",
        "transfers",
        ["expires_at"],
        postgresql_where=open_hold,
        sqlite_where=open_hold,
    )
    op.create_index(
        "ix_transfers_open_holds_debit_account_id",
        "transfers",
        ["debit_account_id"],
        postgresql_where=open_hold,
        sqlite_where=open_hold,
    )
    op.create_table(
        "entries",
        sa.Column("id", BigIntegerPrimaryKey, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_before", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_entries_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_entries_tenant_id_tenants"),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name="fk_entries_transfer_id_transfers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
        sa.UniqueConstraint(
            "account_id", "currency", "sequence", name="uq_entries_account_id_currency_sequence"
        ),
    )
    op.create_index("ix_entries_transfer_id", "entries", ["transfer_id"])
    op.create_index("ix_entries_tenant_id_id", "entries", ["tenant_id", "id"])
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    for table in ("entries", "transfers", "balances", "accounts", "currencies", "tenants"):
        op.drop_table(table)


# Every column of `transfers` but `status`: none of them may change once written.
TRANSFER_FROZEN_COLUMNS = (
    "id, tenant_id, debit_account_id, credit_account_id, amount, currency, type, pending_id, "
    "reversal_of_id, order_number, receipt_id, invoice_id, channel, country_code, tags, note, "
    "operator, metadata, idempotency_key, request_hash, created_at, expires_at"
)
POSTGRESQL_TRUNCATE_GUARDED = ("transfers", "entries")
RESOLVED_HOLD = "OLD.status <> 'pending' OR NEW.status NOT IN ('posted', 'voided', 'expired')"


def _create_append_only_triggers() -> None:
    """Refuse changes to the history at the lowest layer there is.

    Entries: no UPDATE, no DELETE. Transfers: no DELETE, no UPDATE of any column but
    `status`, and `status` only from `pending` to a resolution, once.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION tallybook_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for name, event, condition in _trigger_plan():
            when = f"WHEN ({condition}) " if condition else ""
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} FOR EACH ROW {when}"
                "EXECUTE FUNCTION tallybook_refuse_change()"
            )
        # Row triggers do not see TRUNCATE; SQLite has no TRUNCATE.
        for table in POSTGRESQL_TRUNCATE_GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION tallybook_refuse_change()"
            )
        return
    for name, event, condition in _trigger_plan():
        table = event.rsplit(" ", 1)[-1]
        when = f"WHEN {condition} " if condition else ""
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} {when}"
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def _trigger_plan() -> list[tuple[str, str, str | None]]:
    """(trigger name, event, condition) for both databases."""
    return [
        ("entries_refuse_update", "UPDATE ON entries", None),
        ("entries_refuse_delete", "DELETE ON entries", None),
        ("transfers_refuse_delete", "DELETE ON transfers", None),
        ("transfers_refuse_update", f"UPDATE OF {TRANSFER_FROZEN_COLUMNS} ON transfers", None),
        ("transfers_refuse_status_change", "UPDATE OF status ON transfers", RESOLVED_HOLD),
    ]


def _drop_append_only_triggers() -> None:
    is_postgresql = op.get_bind().dialect.name == "postgresql"
    for name, event, _condition in _trigger_plan():
        table = event.rsplit(" ", 1)[-1]
        op.execute(f"DROP TRIGGER {name} ON {table}" if is_postgresql else f"DROP TRIGGER {name}")
    if is_postgresql:
        for table in POSTGRESQL_TRUNCATE_GUARDED:
            op.execute(f"DROP TRIGGER {table}_refuse_truncate ON {table}")
        op.execute("DROP FUNCTION tallybook_refuse_change()")
