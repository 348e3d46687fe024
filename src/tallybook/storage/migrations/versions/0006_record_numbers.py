"""Top-up and withdrawal numbers: 1, 2, 3... per tenant, the integer primary keys of the DRF
seed API's `/api/balance/in/` and `/api/balance/out/` (its clients parse `pk` as an integer).

The UUID stays each record's identity; the number is its short name on the seed surface.
Existing rows are numbered in creation order. As for accounts (0005), the server default of 0
exists only so SQLite can add the column without rebuilding the table; the store always writes
a number, and the unique index refuses a second one in a tenant.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERED_TABLES = ("topups", "withdrawals")


def upgrade() -> None:
    for table in NUMBERED_TABLES:
        op.add_column(
            table, sa.Column("number", sa.BigInteger(), nullable=False, server_default="0")
        )
        op.execute(
            f"UPDATE {table} SET number = numbered.number FROM ("
            " SELECT id, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY created_at, id)"
            f" AS number FROM {table}) AS numbered WHERE {table}.id = numbered.id"
        )
        op.create_index(f"uq_{table}_tenant_id_number", table, ["tenant_id", "number"], unique=True)


def downgrade() -> None:
    for table in NUMBERED_TABLES:
        op.drop_index(f"uq_{table}_tenant_id_number", table_name=table)
        op.drop_column(table, "number")
