"""Tenants record the newest moment their archive holds (`archived_through`).

Why: a page of the balance history read the live table and the archive in one statement,
and PostgreSQL planned the archive's half for every page, archive empty or not (half the
page's planning). With the bound, a page reads the archive only when the live rows leave
room for older ones (see listing_repository.list_entries). Existing archives set it from
their rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tallybook.storage.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("archived_through", UtcDateTime(), nullable=True))
    op.execute(
        "UPDATE tenants SET archived_through = (SELECT max(entries_archive.created_at) "
        "FROM entries_archive WHERE entries_archive.tenant_id = tenants.id)"
    )


def downgrade() -> None:
    # A plain ALTER, as 0004's downgrade: a batch copy of `tenants` would have to drop and
    # recreate every foreign key that names it.
    op.execute("ALTER TABLE tenants DROP COLUMN archived_through")
