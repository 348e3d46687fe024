"""On PostgreSQL, transfers and entries no longer carry foreign keys to their tenant, accounts
and transfer.

Why: PostgreSQL checks a foreign key with a trigger that runs a query for every row inserted,
nine a transfer, and those checks were a third of its work a transfer (W3's batches of 1,000:
86-90 us of PostgreSQL's CPU a transfer with them, 58-59 without; 8,019-8,393 transfers/s
against 10,814-10,936). The posting engine writes these rows only after locking the accounts
they name, nothing deletes a tenant, an account or a transfer, and `tallybook verify` checks
every one of these references (see `tables._posting_references`). SQLite keeps them: there a
check is an index probe in the same process.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referred table): each has the foreign key fk_{table}_{column}_{referred}
REFERENCES = (
    ("transfers", "tenant_id", "tenants"),
    ("transfers", "debit_account_id", "accounts"),
    ("transfers", "credit_account_id", "accounts"),
    ("entries", "tenant_id", "tenants"),
    ("entries", "transfer_id", "transfers"),
    ("entries", "account_id", "accounts"),
    ("entries_archive", "tenant_id", "tenants"),
    ("entries_archive", "transfer_id", "transfers"),
    ("entries_archive", "account_id", "accounts"),
)


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _on_postgresql():
        return
    for table, column, referred in REFERENCES:
        op.drop_constraint(f"fk_{table}_{column}_{referred}", table, type_="foreignkey")


def downgrade() -> None:
    if not _on_postgresql():
        return
    for table, column, referred in REFERENCES:
        op.create_foreign_key(f"fk_{table}_{column}_{referred}", table, referred, [column], ["id"])
