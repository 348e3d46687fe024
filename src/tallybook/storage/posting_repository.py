"""The statements the posting engine issues inside its one transaction per batch.

Every function takes the engine's open connection; none commits. Locks are taken in one fixed
order — account rows (shared) sorted by id, then balance rows (exclusive) sorted by account id
and currency — so two batches can never wait on each other in a cycle. On SQLite the
`BEGIN IMMEDIATE` that opened the transaction already serialises writers, and the FOR clauses
render as nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Table,
    any_,
    bindparam,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

from tallybook.model import AccountKind, AccountStatus, Transfer, TransferStatus
from tallybook.storage.rows import transfer_from_row, transfer_to_row
from tallybook.storage.tables import accounts, balances, entries, transfers

BalanceKey = tuple[UUID, str]
T = TypeVar("T")


# Bound on the values in one `IN (...)` list: keeps every statement far below SQLite's and
# PostgreSQL's limits on bound parameters, whatever the batch size.
IN_LIST_CHUNK = 500


def chunked(values: Iterable[T], size: int = IN_LIST_CHUNK) -> Iterator[list[T]]:
    """`values` in lists of at most `size`, in their order (sorted input stays sorted)."""
    chunk: list[T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def statement_lists(connection: Connection, values: Iterable[T]) -> Iterator[list[T]]:
    """`values` in as few lists as one statement each can take: on PostgreSQL all of them
    (`one_of` binds an array as one parameter, and a batch's pairs stay far below the
    parameter limit), so a batch locks its rows in one ordered statement; on SQLite chunks
    under its bound-variable limit."""
    if connection.dialect.name != "postgresql":
        yield from chunked(values)
        return
    everything = list(values)
    if everything:
        yield everything


def one_of(connection: Connection, column: Any, values: list[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`, one parameter.

    Why: SQLAlchemy renders an IN list as one bound parameter per value, re-rendered for
    every execution; with hundreds of values that costs more than the statement itself.
    """
    if connection.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class LockedAccount:
    """What posting needs of an account it has share-locked: whose it is, whether money may
    leave or enter it, and (a system account) the one currency it holds (in `metadata`).

    Why not `Account`: a batch locks a thousand accounts, and reading and converting their
    names, profiles, tags and times took longer than everything else the lock does.
    """

    id: UUID
    tenant_id: UUID
    external_id: str
    status: AccountStatus
    kind: AccountKind
    metadata: Mapping[str, Any]


@dataclass(slots=True)
class LockedBalance:
    """A balance row held under lock for the rest of the transaction; the engine edits it.

    `is_new` marks a balance that has no row yet: it starts at zero in memory and its row is
    inserted only if a command that succeeds changes it, so a refused command writes nothing.
    """

    account_id: UUID
    currency: str
    tenant_id: UUID
    posted: int
    held: int
    credit_limit: int
    version: int
    last_sequence: int
    last_entry_hash: str | None
    last_entry_at: datetime | None
    is_new: bool = False

    @property
    def key(self) -> BalanceKey:
        return (self.account_id, self.currency)


def lock_accounts(
    connection: Connection, account_ids: Collection[UUID]
) -> dict[UUID, LockedAccount]:
    """Read the accounts with a shared lock, so a freeze or close waits for this batch."""
    found: dict[UUID, LockedAccount] = {}
    for chunk in statement_lists(connection, sorted(account_ids)):
        query = (
            select(
                accounts.c.id,
                accounts.c.tenant_id,
                accounts.c.external_id,
                accounts.c.status,
                accounts.c.kind,
                accounts.c.metadata,
            )
            .where(one_of(connection, accounts.c.id, chunk))
            .order_by(accounts.c.id)
            .with_for_update(read=True)
        )
        for account_id, tenant_id, external_id, status, kind, metadata in connection.execute(query):
            found[account_id] = LockedAccount(
                account_id,
                tenant_id,
                external_id,
                AccountStatus(status),
                AccountKind(kind),
                metadata,
            )
    return found


def lock_balances(
    connection: Connection,
    keys: Collection[BalanceKey],
    tenant_of_account: dict[UUID, UUID],
) -> dict[BalanceKey, LockedBalance]:
    """Lock the balance rows of `keys` in sorted order; missing ones come back as new zeros.

    Two batches that both create one balance row race on its primary key at insert time: the
    loser's transaction fails with a unique violation and the engine retries it, re-reading.
    """
    locked: dict[BalanceKey, LockedBalance] = {}
    for chunk in statement_lists(connection, sorted(keys)):
        query = (
            select(
                balances.c.account_id,
                balances.c.currency,
                balances.c.tenant_id,
                balances.c.posted,
                balances.c.held,
                balances.c.credit_limit,
                balances.c.version,
                balances.c.last_sequence,
                balances.c.last_entry_hash,
                balances.c.last_entry_at,
            )
            .where(_balance_keys_in(connection, chunk))
            .order_by(balances.c.account_id, balances.c.currency)
            .with_for_update()
        )
        for row in connection.execute(query):
            balance = LockedBalance(*row)
            locked[balance.key] = balance
    for account_id, currency in keys:
        if (account_id, currency) not in locked:
            locked[(account_id, currency)] = LockedBalance(
                account_id=account_id,
                currency=currency,
                tenant_id=tenant_of_account[account_id],
                posted=0,
                held=0,
                credit_limit=0,
                version=0,
                last_sequence=0,
                last_entry_hash=None,
                last_entry_at=None,
                is_new=True,
            )
    return locked


def _balance_keys_in(connection: Connection, keys: list[BalanceKey]) -> ColumnElement[bool]:
    """The balances of `keys`. Keys of one currency (the usual batch) become `currency = c
    AND account_id IN (...)`: PostgreSQL plans a list of (account, currency) pairs as one
    index probe per pair, OR-ed, which took longer than locking the rows."""
    currencies = {currency for _, currency in keys}
    if len(currencies) == 1:
        account_ids = [account_id for account_id, _ in keys]
        return (balances.c.currency == currencies.pop()) & one_of(
            connection, balances.c.account_id, account_ids
        )
    return tuple_(balances.c.account_id, balances.c.currency).in_(keys)


def load_transfers(connection: Connection, transfer_ids: Collection[UUID]) -> dict[UUID, Transfer]:
    found: dict[UUID, Transfer] = {}
    for chunk in chunked(transfer_ids):
        query = select(transfers).where(transfers.c.id.in_(chunk))
        found.update((row.id, transfer_from_row(row)) for row in connection.execute(query))
    return found


def find_resolutions(
    connection: Connection, hold_ids: Collection[UUID]
) -> dict[UUID, TransferStatus]:
    """For each of these holds that is resolved, how: read after the locks, so it is current."""
    found: dict[UUID, TransferStatus] = {}
    for chunk in chunked(hold_ids):
        query = select(transfers.c.pending_id, transfers.c.status).where(
            transfers.c.pending_id.in_(chunk)
        )
        found.update(
            (row.pending_id, TransferStatus(row.status)) for row in connection.execute(query)
        )
    return found


def find_by_idempotency_keys(
    connection: Connection, keys: Collection[tuple[UUID, str]]
) -> dict[tuple[UUID, str], Transfer]:
    """The transfers that already claimed these (tenant, idempotency key) pairs.

    One tenant at a time (`tenant_id = t AND idempotency_key IN (...)`): PostgreSQL plans a
    list of pairs as one OR-ed index probe per pair, which for a keyed 1,000-transfer batch
    took longer than writing it.
    """
    by_tenant: dict[UUID, list[str]] = defaultdict(list)
    for tenant_id, key in keys:
        by_tenant[tenant_id].append(key)
    found: dict[tuple[UUID, str], Transfer] = {}
    for tenant_id, tenant_keys in by_tenant.items():
        for chunk in statement_lists(connection, tenant_keys):
            query = select(transfers).where(
                transfers.c.tenant_id == tenant_id,
                one_of(connection, transfers.c.idempotency_key, chunk),
            )
            for row in connection.execute(query):
                transfer = transfer_from_row(row)
                found[(transfer.tenant_id, transfer.idempotency_key or "")] = transfer
    return found


def find_reversed(connection: Connection, transfer_ids: Collection[UUID]) -> set[UUID]:
    """Which of these transfers already have a reversal."""
    found: set[UUID] = set()
    for chunk in chunked(transfer_ids):
        query = select(transfers.c.reversal_of_id).where(transfers.c.reversal_of_id.in_(chunk))
        found.update(row.reversal_of_id for row in connection.execute(query))
    return found


def find_due_holds(
    connection: Connection, tenant_id: UUID | None, now: datetime, limit: int
) -> list[Transfer]:
    """Open holds whose timeout has passed, oldest deadline first."""
    query = (
        select(transfers)
        .where(transfers.c.status == TransferStatus.PENDING.value, transfers.c.expires_at <= now)
        .order_by(transfers.c.expires_at)
        .limit(limit)
    )
    if tenant_id is not None:
        query = query.where(transfers.c.tenant_id == tenant_id)
    return [transfer_from_row(row) for row in connection.execute(query)]


def append(
    connection: Connection,
    new_transfers: Iterable[Transfer],
    resolved_holds: Iterable[tuple[UUID, TransferStatus]],
    new_entries: list[dict[str, Any]],
    changed_balances: Iterable[LockedBalance],
    now: datetime,
) -> None:
    """Write one batch: transfers, hold resolutions, entries, then each balance once.

    On PostgreSQL the new rows go in with COPY and the balances with one UPDATE ... FROM
    unnest(one array per column) (see `_copy`, `_update_balances_postgresql`); on SQLite, where a
    statement is a function call into the same process, with executemany.
    """
    transfer_rows = [transfer_to_row(transfer) for transfer in new_transfers]
    if transfer_rows:
        _insert_rows(connection, transfers, transfer_rows)
    resolution_rows = [
        {"b_id": hold_id, "b_status": status.value} for hold_id, status in resolved_holds
    ]
    if resolution_rows:
        connection.execute(
            update(transfers)
            .where(
                transfers.c.id == bindparam("b_id"),
                transfers.c.status == TransferStatus.PENDING.value,
            )
            .values(status=bindparam("b_status")),
            resolution_rows,
        )
    if new_entries:
        _insert_rows(connection, entries, new_entries)
    write_balances(connection, changed_balances, now)


def _insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (all with the same keys) into `table`: COPY on PostgreSQL."""
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    else:
        _executemany_plain(connection, table, rows)


def _executemany_plain(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """One INSERT executed for every row by the driver, the column types applied here.

    Why: through `connection.execute(insert(table), rows)` SQLAlchemy spends more time building
    each row's parameters than SQLite spends inserting it.
    """
    columns = list(rows[0])
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})",
        _bound_rows(connection, table, columns, rows),
    )


_NOT_YET = object()


def _bound_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows' values of `columns` as the driver takes them: each column's bind processing
    (a UUID to text, a time to UTC text, JSON to text) applied once per distinct value.

    Why once: a batch repeats most values (its tenant, its time, the hot account, each
    transfer's id on both entries), and processing every one cost more than the insert.
    JSON values (lists, dicts) cannot be remembered by value and are processed each time.
    """
    dialect = connection.dialect
    bound = [[row[name] for name in columns] for row in rows]
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            continue
        if isinstance(column_type, JSON):
            for values in bound:
                values[index] = process(values[index])
            continue
        done: dict[Any, Any] = {}
        for values in bound:
            value = values[index]
            result = done.get(value, _NOT_YET)
            if result is _NOT_YET:
                result = done[value] = process(value)
            values[index] = result
    return [tuple(values) for values in bound]


def _copy(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """`COPY table FROM STDIN` on the transaction's own connection.

    Why: psycopg's executemany sends one INSERT per row (pipelined); COPY streams the whole
    batch as one statement, which is what makes a batch of thousands cheap. The driver's
    errors are turned into SQLAlchemy's (a unique violation is an `IntegrityError`, a deadlock
    an `OperationalError`), so the engine retries them as it does any other statement's.
    """
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    driver_error = connection.dialect.loaded_dbapi.Error
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[name]) if name in json_columns else row[name]
                        for name in columns
                    ]
                )
    except driver_error as error:
        raise DBAPIError.instance(
            statement, None, error, driver_error, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()


def write_balances(connection: Connection, changed: Iterable[LockedBalance], now: datetime) -> None:
    """Insert the new balances and update the others, each row once."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for balance in changed:
        values = {
            "posted": balance.posted,
            "held": balance.held,
            "credit_limit": balance.credit_limit,
            "version": balance.version,
            "last_sequence": balance.last_sequence,
            "last_entry_hash": balance.last_entry_hash,
            "last_entry_at": balance.last_entry_at,
            "updated_at": now,
        }
        if balance.is_new:
            inserts.append(
                values
                | {
                    "account_id": balance.account_id,
                    "currency": balance.currency,
                    "tenant_id": balance.tenant_id,
                }
            )
        else:
            updates.append(
                values | {"account_id": balance.account_id, "currency": balance.currency}
            )
    if inserts:
        _insert_rows(connection, balances, inserts)
    if not updates:
        return
    if connection.dialect.name == "postgresql":
        _update_balances_postgresql(connection, updates)
        return
    columns = [name for name, _ in _BALANCE_UPDATE_COLUMNS if name not in _BALANCE_KEY]
    assignments = ", ".join(f"{name} = ?" for name in columns)
    connection.exec_driver_sql(
        f"UPDATE balances SET {assignments} WHERE account_id = ? AND currency = ?",
        _bound_rows(connection, balances, [*columns, *_BALANCE_KEY], updates),
    )


# The columns of `write_balances`' update rows, in order, with their PostgreSQL types (the
# record `_update_balances_postgresql` reads them as); the key comes first.
_BALANCE_KEY = ("account_id", "currency")
_BALANCE_UPDATE_COLUMNS = (
    ("account_id", "uuid"),
    ("currency", "varchar"),
    ("posted", "bigint"),
    ("held", "bigint"),
    ("credit_limit", "bigint"),
    ("version", "bigint"),
    ("last_sequence", "bigint"),
    ("last_entry_hash", "varchar"),
    ("last_entry_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)


def _balance_update_sql() -> str:
    names = [name for name, _ in _BALANCE_UPDATE_COLUMNS]
    record = ", ".join(f"{name} {kind}" for name, kind in _BALANCE_UPDATE_COLUMNS)
    assignments = ", ".join(f"{name} = v.{name}" for name in names if name not in _BALANCE_KEY)
    return (
        f"UPDATE balances SET {assignments} FROM json_to_recordset(%s::json) AS v({record}) "
        "WHERE balances.account_id = v.account_id AND balances.currency = v.currency"
    )


# Written once: the statement is the same for every batch.
_BALANCE_UPDATE_SQL = _balance_update_sql()


def _update_balances_postgresql(connection: Connection, updates: list[dict[str, Any]]) -> None:
    """Every changed balance in one `UPDATE ... FROM json_to_recordset(the rows as JSON)`.

    Why: executemany runs one UPDATE per balance, and a `VALUES` list of a thousand rows is
    ten thousand parameters to bind and parse. One array per column was ten parameters, but
    psycopg dumps an array element by element in Python, which took longer than the UPDATE
    (12% of the engine thread's GIL time under W1); orjson writes the rows as one text in C, and
    PostgreSQL reads them with the types of `_BALANCE_UPDATE_COLUMNS`. The rows are already
    locked by this transaction, so the order of the update is moot.
    """
    connection.exec_driver_sql(_BALANCE_UPDATE_SQL, (orjson.dumps(updates).decode(),))
