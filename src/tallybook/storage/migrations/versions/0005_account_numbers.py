"""Account numbers: a small integer per account, counted per tenant (1, 2, 3...).

Why: the seed APIs identify wallets, containers and agents by integers (DigiCert's
`container.id`, DirectMail's `agent_id` / `pid`, a DRF primary key), and their clients parse
them as integers. The UUID stays the account's identity; the number is its short name there.

Existing accounts are numbered in creation order. The column is NOT NULL with a server
default of 0 only so that SQLite can add it without rebuilding the table; the core always
writes a number, and the unique index would refuse a second 0 in a tenant.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts", sa.Column("number", sa.BigInteger(), nullable=False, server_default="0")
    )
    # One statement on both databases (SQLite has UPDATE ... FROM since 3.33).
    op.execute(
        "UPDATE accounts SET number = numbered.number FROM ("
        " SELECT id, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY created_at, id) AS number"
        " FROM accounts) AS numbered WHERE accounts.id = numbered.id"
    )
    op.create_index(
        "uq_accounts_tenant_id_number", "accounts", ["tenant_id", "number"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_accounts_tenant_id_number", table_name="accounts")
    op.drop_column("accounts", "number")
