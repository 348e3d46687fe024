"""History at scale: history indexes, chain-head time, the entries archive, archive setting.

- `entries`: the list indexes become (created_at, id)-ordered per tenant, per account, and per
  account and currency (the last one also answers balance-as-of lookups in one seek).
- `transfers`: (tenant_id, order_number), for the order-number filter.
- `balances.last_entry_at`: the time of the chain's last entry (back-filled), so the engine
  can keep each chain's times rising with its sequence.
- `tenants.archive_after_months`: the tenant's archive setting (None: never).
- `entries_archive`: the same rows, moved by `tallybook archive`; on PostgreSQL partitioned
  by month of `created_at`. Append-only like `entries`.
- `entries` stays append-only with one exception, enforced by a trigger: a row may be deleted
  only when an identical copy (every column equal) is already in `entries_archive`. That is
  the archive's move, and nothing else can delete history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tallybook.storage.types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_COLUMNS = (
    "id, tenant_id, transfer_id, account_id, currency, amount, balance_before, balance_after, "
    "sequence, created_at, hash"
)
# A row may leave `entries` only if `entries_archive` holds it unchanged.
ARCHIVED_COPY_EXISTS = (
    "EXISTS (SELECT 1 FROM entries_archive a WHERE a.id = OLD.id "
    "AND a.created_at = OLD.created_at AND a.tenant_id = OLD.tenant_id "
    "AND a.transfer_id = OLD.transfer_id AND a.account_id = OLD.account_id "
    "AND a.currency = OLD.currency AND a.amount = OLD.amount "
    "AND a.balance_before = OLD.balance_before AND a.balance_after = OLD.balance_after "
    "AND a.sequence = OLD.sequence AND a.hash = OLD.hash)"
)
MOVE_REFUSED = "entries is append-only: a row leaves it only once entries_archive holds it"
TRANSFER_INDEXES: tuple[tuple[str, ...], ...] = (("tenant_id", "order_number"),)
HISTORY_INDEXES: tuple[tuple[str, ...], ...] = (
    ("transfer_id",),
    ("tenant_id", "created_at", "id"),
    ("account_id", "created_at", "id"),
    ("account_id", "currency", "created_at", "id"),
)


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _index_name(table: str, columns: Sequence[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    op.add_column("tenants", sa.Column("archive_after_months", sa.Integer(), nullable=True))
    op.add_column("balances", sa.Column("last_entry_at", UtcDateTime(), nullable=True))
    op.execute(
        "UPDATE balances SET last_entry_at = (SELECT e.created_at FROM entries e "
        "WHERE e.account_id = balances.account_id AND e.currency = balances.currency "
        "AND e.sequence = balances.last_sequence)"
    )
    for columns in TRANSFER_INDEXES:
        op.create_index(_index_name("transfers", columns), "transfers", list(columns))
    op.drop_index("ix_entries_tenant_id_id", table_name="entries")
    for columns in HISTORY_INDEXES[1:]:
        op.create_index(_index_name("entries", columns), "entries", list(columns))
    _create_archive_table()
    _install_archive_triggers()


def downgrade() -> None:
    """Archived rows go back into `entries` (unchanged) before the archive disappears."""
    _drop_archive_triggers()
    op.execute(f"INSERT INTO entries ({ENTRY_COLUMNS}) SELECT {ENTRY_COLUMNS} FROM entries_archive")
    op.drop_table("entries_archive")
    for columns in HISTORY_INDEXES[1:]:
        op.drop_index(_index_name("entries", columns), table_name="entries")
    op.create_index("ix_entries_tenant_id_id", "entries", ["tenant_id", "id"])
    for columns in TRANSFER_INDEXES:
        op.drop_index(_index_name("transfers", columns), table_name="transfers")
    # Plain ALTER (SQLite 3.35+ and PostgreSQL): a batch copy of `tenants` would have to drop
    # a table that every other table references.
    op.execute("ALTER TABLE balances DROP COLUMN last_entry_at")
    op.execute("ALTER TABLE tenants DROP COLUMN archive_after_months")


def _create_archive_table() -> None:
    options: dict[str, Any] = (
        {"postgresql_partition_by": "RANGE (created_at)"} if _is_postgresql() else {}
    )
    op.create_table(
        "entries_archive",
        sa.Column("id", sa.BigInteger(), nullable=False),
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
            ["account_id"], ["accounts.id"], name="fk_entries_archive_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_entries_archive_tenant_id_tenants"
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name="fk_entries_archive_transfer_id_transfers"
        ),
        sa.PrimaryKeyConstraint("id", "created_at", name="pk_entries_archive"),
        **options,
    )
    for columns in (("account_id", "currency", "sequence"), *HISTORY_INDEXES):
        op.create_index(_index_name("entries_archive", columns), "entries_archive", list(columns))


def _install_archive_triggers() -> None:
    """Replace 0001's blanket refusal of DELETE on `entries` by "only what is archived", and
    make `entries_archive` refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""
    if _is_postgresql():
        op.execute("DROP TRIGGER entries_refuse_delete ON entries")
        op.execute(
            "CREATE FUNCTION tallybook_delete_only_archived() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN IF {ARCHIVED_COPY_EXISTS} THEN RETURN OLD; END IF; "
            f"RAISE EXCEPTION '{MOVE_REFUSED}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER entries_delete_only_archived BEFORE DELETE ON entries "
            "FOR EACH ROW EXECUTE FUNCTION tallybook_delete_only_archived()"
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER entries_archive_refuse_{event.lower()} BEFORE {event} "
                "ON entries_archive FOR EACH ROW EXECUTE FUNCTION tallybook_refuse_change()"
            )
        op.execute(
            "CREATE TRIGGER entries_archive_refuse_truncate BEFORE TRUNCATE ON entries_archive "
            "FOR EACH STATEMENT EXECUTE FUNCTION tallybook_refuse_change()"
        )
        return
    op.execute("DROP TRIGGER entries_refuse_delete")
    op.execute(
        "CREATE TRIGGER entries_delete_only_archived BEFORE DELETE ON entries "
        f"WHEN NOT {ARCHIVED_COPY_EXISTS} BEGIN SELECT RAISE(ABORT, '{MOVE_REFUSED}'); END"
    )
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER entries_archive_refuse_{event.lower()} BEFORE {event} "
            "ON entries_archive BEGIN SELECT RAISE(ABORT, 'entries_archive is append-only'); END"
        )


def _drop_archive_triggers() -> None:
    """Back to 0001's triggers: no DELETE on `entries` at all."""
    if _is_postgresql():
        op.execute("DROP TRIGGER entries_delete_only_archived ON entries")
        op.execute("DROP FUNCTION tallybook_delete_only_archived()")
        op.execute(
            "CREATE TRIGGER entries_refuse_delete BEFORE DELETE ON entries "
            "FOR EACH ROW EXECUTE FUNCTION tallybook_refuse_change()"
        )
        return  # the archive's own triggers go with its table
    op.execute("DROP TRIGGER entries_delete_only_archived")
    op.execute(
        "CREATE TRIGGER entries_refuse_delete BEFORE DELETE ON entries "
        "BEGIN SELECT RAISE(ABORT, 'entries is append-only'); END"
    )
