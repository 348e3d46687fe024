"""The schema, as SQLAlchemy Core tables. Migrations create it; this module describes it.

Design overview (the invariants the rows keep):

- `entries` are append-only, and so are `transfers` but for one change: a pending transfer (a
  hold) moves its `status` once, from `pending` to `posted`, `voided` or `expired`. Database
  triggers (created by the migrations) refuse every other UPDATE and every DELETE.
- A hold is resolved by a *new* transfer row whose `pending_id` names it (the posted amount with
  its entries, or the released amount); `pending_id` is unique, so a hold resolves exactly once
  even if two processes race.
- A reversal is a new transfer whose `reversal_of_id` names the original; unique, so a transfer
  is reversed at most once.
- `entries` has one row per account side of every posted transfer, with the balance before and
  after, a per-account-and-currency `sequence` (unique) and a `hash` chained on the previous
  entry of the same account and currency.
- `balances` is the only mutable money row: `posted` equals the last entry's `balance_after`,
  `held` equals the sum of open holds debiting it, `last_sequence`/`last_entry_hash` point at
  the chain's head so that appending needs no extra read.
- Idempotency keys are unique per tenant on `transfers` and claimed in the transaction that
  writes the transfer.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from tallybook.storage.types import BigIntegerPrimaryKey, JsonDocument, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("time_zone", String(64), nullable=False, server_default="UTC"),
    Column("created_at", UtcDateTime, nullable=False),
)

currencies = Table(
    "currencies",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("code", String(10), nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "code"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_id", Uuid, ForeignKey("accounts.id"), nullable=True),
    Column("status", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("metadata", JsonDocument, nullable=False),
    Column("tags", JsonDocument, nullable=False),
    Column("payout_profile", JsonDocument, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "external_id"),
    Index(None, "tenant_id", "parent_id"),
)

balances = Table(
    "balances",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(10), nullable=False),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("posted", BigInteger, nullable=False),
    Column("held", BigInteger, nullable=False),
    Column("credit_limit", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("last_sequence", BigInteger, nullable=False),
    Column("last_entry_hash", String(64), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("account_id", "currency"),
    Index(None, "tenant_id", "currency"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("debit_account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("credit_account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(10), nullable=False),
    Column("type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("pending_id", Uuid, ForeignKey("transfers.id"), nullable=True, unique=True),
    Column("reversal_of_id", Uuid, ForeignKey("transfers.id"), nullable=True, unique=True),
    Column("order_number", String(128), nullable=True),
    Column("receipt_id", String(128), nullable=True),
    Column("invoice_id", String(128), nullable=True),
    Column("channel", String(64), nullable=True),
    Column("country_code", String(8), nullable=True),
    Column("tags", JsonDocument, nullable=False),
    Column("note", Text, nullable=True),
    Column("operator", String(128), nullable=True),
    Column("metadata", JsonDocument, nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_hash", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    UniqueConstraint("tenant_id", "idempotency_key"),
    Index(None, "tenant_id", "created_at"),
    # Only open holds are in these partial indexes, so expiry and held-amount checks stay
    # cheap however long the history grows.
    Index(
        "ix_transfers_open_holds_expires_at",
        "expires_at",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index(
        "ix_transfers_open_holds_debit_account_id",
        "debit_account_id",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
)

entries = Table(
    "entries",
    metadata,
    Column("id", BigIntegerPrimaryKey, primary_key=True, autoincrement=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("transfer_id", Uuid, ForeignKey("transfers.id"), nullable=False),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(10), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_before", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("account_id", "currency", "sequence"),
    Index(None, "transfer_id"),
    Index(None, "tenant_id", "id"),
)
