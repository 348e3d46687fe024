"""The schema, as SQLAlchemy Core tables. Migrations create it; this module describes it.

Design overview (the invariants the rows keep):

- `entries` are append-only (a row leaves only by `tallybook archive`'s move to
  `entries_archive`, checked by a trigger), and so are `transfers` but for one change: a
  pending transfer (a hold) moves its `status` once, from `pending` to `posted`, `voided` or
  `expired`. Database triggers (created by the migrations) refuse every other UPDATE and
  every DELETE.
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

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
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
    # Entries older than this many months may be moved to `entries_archive`; None: never.
    Column("archive_after_months", Integer, nullable=True),
    # The newest `created_at` among the tenant's archived entries (None: none archived), set
    # in each move's transaction: a history page reads the archive only when it could hold
    # rows of the page (see listing_repository.list_entries).
    Column("archived_through", UtcDateTime, nullable=True),
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
    # 1, 2, 3... per tenant: the integer id the seed APIs show. The default exists only so
    # SQLite could add the column; the core always writes the next number.
    Column("number", BigInteger, nullable=False, server_default="0"),
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
    Index("uq_accounts_tenant_id_number", "tenant_id", "number", unique=True),
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
    # The chain head's time: the engine never stamps a later entry earlier than this, so each
    # chain's times rise with its sequence and "the last entry at or before T" is well defined.
    Column("last_entry_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("account_id", "currency"),
    Index(None, "tenant_id", "currency"),
)

# The `info` key of a schema item created on one dialect only (`only_on`), naming it.
ONLY_ON_DIALECT = "only_on_dialect"


def only_on(dialect_name: str, constraint: ForeignKeyConstraint) -> ForeignKeyConstraint:
    """`constraint`, created on that dialect only (`ddl_if`), and saying so for `exists_on`."""
    constraint.info[ONLY_ON_DIALECT] = dialect_name
    return constraint.ddl_if(dialect=dialect_name)


def exists_on(item: Any, dialect_name: str) -> bool:
    """Whether `item` (a constraint, an index) is part of the schema on that dialect: the
    migration test compares a database with these only."""
    declared_on = getattr(item, "info", {}).get(ONLY_ON_DIALECT)
    return declared_on is None or declared_on == dialect_name


def _posting_references(*references: tuple[str, str]) -> list[ForeignKeyConstraint]:
    """Foreign keys of the rows the posting engine writes, each (column, "table.column"),
    declared on SQLite only.

    Why not on PostgreSQL: there each is a trigger that runs a query for every row inserted,
    nine a transfer (its tenant and two accounts; each of its two entries' tenant, transfer
    and account), and they were a third of PostgreSQL's work a transfer. Only the engine
    writes these rows, after locking (`FOR SHARE`) the accounts they name and checking that
    they are the command's tenant's, with an entry's transfer in the same statement; nothing
    deletes a tenant, an account or a transfer. `tallybook verify` checks every one of these
    references (`audit_repository.transfers_with_broken_references`,
    `entries_with_broken_references`). On SQLite a check is an index probe in the same
    process, which costs little (0-8% of raw sqlite3 batches), so they stay there.
    """
    return [
        only_on("sqlite", ForeignKeyConstraint([column], [target])) for column, target in references
    ]


def _entry_references() -> list[ForeignKeyConstraint]:
    return _posting_references(
        ("tenant_id", "tenants.id"),
        ("transfer_id", "transfers.id"),
        ("account_id", "accounts.id"),
    )


transfers = Table(
    "transfers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("debit_account_id", Uuid, nullable=False),
    Column("credit_account_id", Uuid, nullable=False),
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
    # The kind of wallet-flow record that wrote it; NULL for a plain transfer.
    Column("flow", String(16), nullable=True),
    UniqueConstraint("tenant_id", "idempotency_key"),
    *_posting_references(
        ("tenant_id", "tenants.id"),
        ("debit_account_id", "accounts.id"),
        ("credit_account_id", "accounts.id"),
    ),
    Index(None, "tenant_id", "created_at"),
    Index(None, "tenant_id", "order_number"),
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


def _entry_columns(*, is_archive: bool) -> list[Column[Any]]:
    """The columns `entries` and `entries_archive` share: an archived row is the same row."""
    return [
        Column(
            "id",
            BigInteger if is_archive else BigIntegerPrimaryKey,
            primary_key=not is_archive,
            autoincrement=not is_archive,
            nullable=False,
        ),
        Column("tenant_id", Uuid, nullable=False),
        Column("transfer_id", Uuid, nullable=False),
        Column("account_id", Uuid, nullable=False),
        Column("currency", String(10), nullable=False),
        Column("amount", BigInteger, nullable=False),
        Column("balance_before", BigInteger, nullable=False),
        Column("balance_after", BigInteger, nullable=False),
        Column("sequence", BigInteger, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("hash", String(64), nullable=False),
    ]


def _history_indexes() -> list[Index]:
    """Indexes that let every history read seek instead of scan, on live and archived rows.

    The balance history is read newest (or oldest) first by (created_at, id), for a tenant,
    an account, or an account in one currency: each list filter has an index in that order, so
    a page costs the same at any depth. The account-and-currency one also finds "the last
    entry at or before T" (a balance as of T) in one seek.
    """
    return [
        Index(None, "transfer_id"),
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "account_id", "created_at", "id"),
        Index(None, "account_id", "currency", "created_at", "id"),
    ]


entries = Table(
    "entries",
    metadata,
    *_entry_columns(is_archive=False),
    *_entry_references(),
    UniqueConstraint("account_id", "currency", "sequence"),
    *_history_indexes(),
)

# Entries moved out of `entries` by `tallybook archive`, unchanged (same id, same hash).
# PostgreSQL keeps it in monthly partitions of `created_at` (made as archiving needs them, named
# `entries_archive_pYYYYMM`), so old months can be moved or backed up a partition at a time;
# the partition key must be in the primary key there. Append-only like `entries`.
entries_archive = Table(
    "entries_archive",
    metadata,
    *_entry_columns(is_archive=True),
    *_entry_references(),
    PrimaryKeyConstraint("id", "created_at"),
    Index(None, "account_id", "currency", "sequence"),
    *_history_indexes(),
    postgresql_partition_by="RANGE (created_at)",
)
ARCHIVE_PARTITION_PREFIX = "entries_archive_p"


def is_archive_partition(table_name: str) -> bool:
    """A monthly partition of `entries_archive`: made at run time, not part of the schema."""
    return table_name.startswith(ARCHIVE_PARTITION_PREFIX)


api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("name", String(200), nullable=False),
    # sha256 of the whole key: keys are 256 random bits, so a fast hash is enough, and the
    # unique index finds a key in one lookup. The key itself is never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_hint", String(8), nullable=False),
    Column("role", String(16), nullable=False),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index(None, "tenant_id"),
)

# -- wallet flows (migration 0003) ------------------------------------------------------------
#
# Records kept beside the ledger, each changed only by a step of the posting engine in the
# transaction that moves its money (`ledger/steps.py`): the money itself is always in
# `transfers` and `entries`; these rows say which flow it belongs to and where that flow is.

step_claims = Table(
    "step_claims",
    metadata,
    # An idempotency key of a wallet-flow request, claimed in the transaction that applies it.
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("record_kind", String(32), nullable=False),
    Column("record_name", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "idempotency_key"),
)

topups = Table(
    "topups",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    # 1, 2, 3... per tenant: the integer pk the DRF seed API shows (as accounts.number).
    Column("number", BigInteger, nullable=False, server_default="0"),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(10), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("metadata", JsonDocument, nullable=False),
    Column("external_reference", String(128), nullable=True),
    Column("receipt_id", String(64), nullable=True),
    Column("transfer_id", Uuid, ForeignKey("transfers.id"), nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("confirmed_via", String(16), nullable=True),
    Column("operator", String(128), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "tenant_id", "account_id"),
    Index("uq_topups_tenant_id_number", "tenant_id", "number", unique=True),
    # Only pending top-ups are in it: finding the ones to expire stays cheap.
    Index(
        "ix_topups_pending_expires_at",
        "expires_at",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
)

withdrawals = Table(
    "withdrawals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    # 1, 2, 3... per tenant: the integer pk the DRF seed API shows (as accounts.number).
    Column("number", BigInteger, nullable=False, server_default="0"),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(10), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("fee", BigInteger, nullable=False),
    Column("channel", String(64), nullable=True),
    Column("destination", JsonDocument, nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("receipt_id", String(64), nullable=False),
    Column("payout_hold_id", Uuid, ForeignKey("transfers.id"), nullable=False),
    Column("fee_hold_id", Uuid, ForeignKey("transfers.id"), nullable=True),
    Column("payout_reference", String(128), nullable=True),
    Column("reason", Text, nullable=True),
    Column("operator", String(128), nullable=True),
    Column("day", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "tenant_id", "account_id"),
    Index("uq_withdrawals_tenant_id_number", "tenant_id", "number", unique=True),
)

withdrawal_day_totals = Table(
    "withdrawal_day_totals",
    metadata,
    # What an account has asked to withdraw on one local day and not cancelled: the row the
    # daily maximum is checked against, locked by every step that changes it.
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(10), nullable=False),
    Column("day", String(10), nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "currency", "day"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=False),
    Column("order_number", String(128), nullable=False),
    Column("title", String(200), nullable=False),
    Column("image_url", String(2000), nullable=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(10), nullable=False),
    Column("country_code", String(8), nullable=True),
    Column("tags", JsonDocument, nullable=False),
    Column("note", Text, nullable=True),
    Column("metadata", JsonDocument, nullable=False),
    Column("status", String(24), nullable=False),
    Column("refunded", BigInteger, nullable=False),
    Column("receipt_id", String(64), nullable=False),
    Column("payment_transfer_id", Uuid, ForeignKey("transfers.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "order_number"),
    Index(None, "tenant_id", "account_id"),
)

order_refunds = Table(
    "order_refunds",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("order_id", Uuid, ForeignKey("orders.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("receipt_id", String(64), nullable=False),
    Column("transfer_id", Uuid, ForeignKey("transfers.id"), nullable=False),
    Column("reason", Text, nullable=True),
    Column("operator", String(128), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "order_id"),
)

wallet_settings = Table(
    "wallet_settings",
    metadata,
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), primary_key=True),
    Column("topup_expiry_seconds", Integer, nullable=False),
    Column("withdrawal_fee_basis_points", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

withdrawal_rules = Table(
    "withdrawal_rules",
    metadata,
    # Per tenant and currency, in minor units: fixed fee, smallest amount, daily maximum.
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("currency", String(10), nullable=False),
    Column("fee_fixed", BigInteger, nullable=False),
    Column("minimum", BigInteger, nullable=False),
    Column("daily_maximum", BigInteger, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "currency"),
)

payment_channels = Table(
    "payment_channels",
    metadata,
    # A channel the tenant configured, and the secret its callbacks are signed with. The
    # secret is kept as given: verifying an HMAC needs it, unlike an API key's hash.
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("callback_secret", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "name"),
)
