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
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Select,
    Table,
    any_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect

from tallybook.model import AccountKind, AccountStatus, Transfer, TransferStatus
from tallybook.storage import sqlite_locks
from tallybook.storage.locked_rows import BalanceKey, LockedAccount, LockedBalance, columns_of
from tallybook.storage.rows import transfer_from_row, transfer_to_row
from tallybook.storage.tables import accounts, balances, entries, transfers

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


def one_of(dialect_name: str, column: Any, name: str) -> ColumnElement[bool]:
    """`column IN (:name)`, the list bound at execution; on PostgreSQL `column = ANY(:name)`,
    one array parameter.

    Why a bound list: SQLAlchemy renders an IN list of values as one bound parameter per value,
    re-rendered for every execution; with hundreds of values that costs more than the
    statement itself. Statements built with it are built once per dialect (`functools.cache`),
    because building a SELECT and adapting its result columns cost the engine more per batch
    than the database spent running it.
    """
    if dialect_name == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


def lock_accounts(
    connection: Connection, account_ids: Collection[UUID]
) -> dict[UUID, LockedAccount]:
    """Read the accounts with a shared lock, so a freeze or close waits for this batch."""
    found: dict[UUID, LockedAccount] = {}
    for account_id, tenant_id, external_id, status, kind, metadata in _locked_account_rows(
        connection, account_ids
    ):
        found[account_id] = LockedAccount(
            account_id,
            tenant_id,
            external_id,
            _STATUS_OF[status],
            _KIND_OF[kind],
            _NO_METADATA if metadata is None else metadata,
        )
    return found


def _locked_account_rows(
    connection: Connection, account_ids: Collection[UUID]
) -> Iterable[Sequence[Any]]:
    """`LockedAccount`'s fields of each account of `account_ids`, in id order."""
    if connection.dialect.name == "sqlite":
        return sqlite_locks.account_rows(connection, account_ids)
    return connection.execute(_lock_accounts_query(), {"account_ids": sorted(account_ids)})


# An account's status and kind by their stored text: a dict lookup, where calling the enum
# (its lookup by value) cost about a microsecond each, two for every account a batch locks.
_STATUS_OF = {status.value: status for status in AccountStatus}
_KIND_OF = {kind.value: kind for kind in AccountKind}
_NO_METADATA: Mapping[str, Any] = MappingProxyType({})


def _locked_account_columns() -> list[ColumnElement[Any]]:
    """`LockedAccount`'s columns, the metadata only of a system account: posting reads no
    other account's, and decoding every customer's document was a third of the lock
    statement's time in Python (200 us of 570 for 54 accounts)."""
    system: ColumnElement[str] = literal_column(f"'{AccountKind.SYSTEM.value}'")  # not a parameter
    system_metadata = case((accounts.c.kind == system, accounts.c.metadata)).label("metadata")
    return [
        system_metadata if column.name == "metadata" else column
        for column in columns_of(accounts, LockedAccount)
    ]


@cache
def _lock_accounts_query() -> Select[Any]:
    """PostgreSQL's (SQLite's is `sqlite_locks.account_rows`)."""
    columns = _locked_account_columns()
    return _locked_one_by_one(
        select(*columns).where(accounts.c.id == _WANTED.c.id).with_for_update(read=True)
    )


# The ids a PostgreSQL lock statement is given, one row each, in the array's order.
_WANTED = (
    func.unnest(bindparam("account_ids", type_=ARRAY(accounts.c.id.type)))
    .table_valued("id")
    .render_derived(name="wanted")
)


def _locked_one_by_one(lock: Select[Any]) -> Select[Any]:
    """`lock` (a locking SELECT of the rows of one wanted id) run for each id of
    `account_ids` in turn: an index probe an id, whatever the planner knows, and the rows
    locked in the array's order, which the caller sorts (the fixed lock order).

    Why not `id = ANY(:ids)`: for a few dozen ids the planner chooses by its statistics, and
    without them (a database not yet analyzed; autovacuum off) or on a table of some
    thousands of rows it scanned the table instead. 54 ids of 10,000 accounts: a sequential
    scan, 0.78 ms, against 0.15 for probes; 64 balances: every balance in the currency read,
    1.03 ms against 0.22, while the batch waits for its locks. A subquery that locks rows is
    never merged into the join around it, so the probes cannot be planned away.
    """
    locked = lock.lateral("locked")
    return select(*locked.c).select_from(_WANTED).join(locked, true())


def lock_balances(
    connection: Connection,
    keys: Collection[BalanceKey],
    tenant_of_account: dict[UUID, UUID],
) -> dict[BalanceKey, LockedBalance]:
    """Lock the balance rows of `keys` in sorted order; missing ones come back as new zeros.

    One statement takes the balances of every account of `keys` in every currency of `keys`
    (`currency IN (...) AND account_id IN (...)`): PostgreSQL plans a list of (account,
    currency) pairs as one index probe per pair, OR-ed, which took longer than locking the
    rows. For the usual batch, of one currency, that is exactly `keys`; a batch of several
    currencies may also lock an account's balance in another of them, which it then leaves
    alone (still in the one sorted order, so no cycle).

    Two batches that both create one balance row race on its primary key at insert time: the
    loser's transaction fails with a unique violation and the engine retries it, re-reading.
    """
    wanted = set(keys)
    locked: dict[BalanceKey, LockedBalance] = {}
    currencies = {currency for _, currency in wanted}
    account_ids = {account_id for account_id, _ in wanted}
    for row in _locked_balance_rows(connection, account_ids, currencies):
        balance = LockedBalance(*row)
        if balance.key in wanted:
            locked[balance.key] = balance
    for account_id, currency in wanted:
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


def _locked_balance_rows(
    connection: Connection, account_ids: Collection[UUID], currencies: Collection[str]
) -> Iterable[Sequence[Any]]:
    """`LockedBalance`'s stored fields of the balances of `account_ids` in `currencies`, in
    (account, currency) order."""
    if connection.dialect.name == "sqlite":
        return sqlite_locks.balance_rows(connection, account_ids, currencies)
    parameters = {"account_ids": sorted(account_ids), "currencies": sorted(currencies)}
    return connection.execute(_lock_balances_query(), parameters)


@cache
def _lock_balances_query() -> Select[Any]:
    """PostgreSQL's (SQLite's is `sqlite_locks.balance_rows`)."""
    columns = columns_of(balances, LockedBalance)
    return _locked_one_by_one(
        select(*columns)
        .where(
            balances.c.account_id == _WANTED.c.id,
            one_of("postgresql", balances.c.currency, "currencies"),
        )
        .order_by(balances.c.currency)
        .with_for_update()
    )


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

    One tenant at a time: PostgreSQL plans a list of pairs as one OR-ed index probe per pair,
    which for a keyed 1,000-transfer batch took longer than writing it. On PostgreSQL each key
    probes the unique (tenant, key) index on its own (see `claimed_keys_query`).
    """
    by_tenant: dict[UUID, list[str]] = defaultdict(list)
    for tenant_id, key in keys:
        by_tenant[tenant_id].append(key)
    found: dict[tuple[UUID, str], Transfer] = {}
    query = claimed_keys_query(connection.dialect.name)
    for tenant_id, tenant_keys in by_tenant.items():
        for chunk in statement_lists(connection, tenant_keys):
            for row in connection.execute(query, {"tenant_id": tenant_id, "keys": chunk}):
                transfer = transfer_from_row(row)
                found[(transfer.tenant_id, transfer.idempotency_key or "")] = transfer
    return found


@cache
def claimed_keys_query(dialect_name: str) -> Select[Any]:
    """The transfers of the tenant `:tenant_id` that hold one of `:keys`.

    On PostgreSQL: `unnest(:keys)`, each joined LATERAL to at most one row of the unique
    (tenant, key) index. Why this shape: it is planned as one index probe a key whether or
    not the table has statistics (a server without autovacuum never gathers them), where the
    planner, guessing that a tenant has a few dozen transfers, made the plainer shapes scan
    all of them: `idempotency_key = ANY(keys)` for a thousand keys (2 s at 1.7 million
    rows, against 1.4 ms), and a plain join to `unnest(keys)` for thirty (a hash join over
    the tenant's 89,000 transfers, 20 ms, against 0.1 ms). The LIMIT keeps the planner
    from flattening the LATERAL subquery back into that join.
    """
    if dialect_name != "postgresql":
        return select(transfers).where(
            transfers.c.tenant_id == bindparam("tenant_id"),
            one_of(dialect_name, transfers.c.idempotency_key, "keys"),
        )
    wanted = (
        func.unnest(bindparam("keys", type_=ARRAY(transfers.c.idempotency_key.type)))
        .table_valued("key")
        .render_derived(name="wanted")
    )
    claimed = (
        select(transfers)
        .where(
            transfers.c.tenant_id == bindparam("tenant_id"),
            transfers.c.idempotency_key == wanted.c.key,
        )
        .limit(1)
        .lateral("claimed")
    )
    return select(claimed).select_from(wanted.join(claimed, true()))


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

    A hold placed and resolved in the same batch is written once, already resolved: the rows
    are the same as inserting it pending and updating it, and every other resolution updates
    a row that was there before the batch. On PostgreSQL the whole batch is one statement
    (see `_append_postgresql`); on SQLite, where a statement is a function call into the same
    process, each table's rows go with executemany.
    """
    resolutions = dict(resolved_holds)
    transfer_rows = [transfer_to_row(transfer) for transfer in new_transfers]
    for row in transfer_rows:
        status = resolutions.pop(row["id"], None)
        if status is not None:
            row["status"] = status.value
    if connection.dialect.name == "postgresql":
        _append_postgresql(
            connection, transfer_rows, resolutions, new_entries, changed_balances, now
        )
        return
    if transfer_rows:
        _executemany_plain(connection, transfers, transfer_rows)
    if resolutions:
        connection.execute(
            update(transfers)
            .where(
                transfers.c.id == bindparam("b_id"),
                transfers.c.status == TransferStatus.PENDING.value,
            )
            .values(status=bindparam("b_status")),
            [
                {"b_id": hold_id, "b_status": status.value}
                for hold_id, status in resolutions.items()
            ],
        )
    if new_entries:
        _executemany_plain(connection, entries, new_entries)
    write_balances(connection, changed_balances, now)


def _append_postgresql(
    connection: Connection,
    transfer_rows: list[dict[str, Any]],
    resolutions: dict[UUID, TransferStatus],
    new_entries: list[dict[str, Any]],
    changed_balances: Iterable[LockedBalance],
    now: datetime,
) -> None:
    """The batch's writes as one statement: each table's rows are one JSON parameter.

    Why: the statements after the balance locks are what a hot account waits on, and each
    round trip made the engine thread wait for the GIL again (the event loop holds it while
    the answer arrives). COPY took two round trips per table; this is one for everything.
    """
    inserts, updates = _balance_rows(changed_balances, now)
    resolution_rows = [{"id": hold, "status": status.value} for hold, status in resolutions.items()]
    write = batch_write(transfer_rows, resolution_rows, new_entries, inserts, updates)
    if write is not None:
        connection.exec_driver_sql(write.sql, write.parameters)


@dataclass(frozen=True, slots=True)
class BatchWrite:
    """One batch's writes on PostgreSQL: the statement and its parameters."""

    sql: str
    parameters: tuple[str | int, ...]


def batch_write(
    transfer_rows: list[dict[str, Any]],
    resolution_rows: list[dict[str, Any]],
    entry_rows: list[dict[str, Any]],
    balance_inserts: list[dict[str, Any]],
    balance_updates: list[dict[str, Any]],
) -> BatchWrite | None:
    """The statement that writes these rows, with only the parts that have rows (None: there
    is nothing to write), and its parameters: each part's rows as one JSON text, and for an
    UPDATE the number of rows it joins (see `_BATCH_WRITE_PARTS`).

    Why only the parts with rows: PostgreSQL plans every part of a statement, rows or not,
    and a batch of new transfers has neither hold resolutions nor new balances. Planning the
    two empty parts took 0.15 ms of the 0.34 a thirty-transfer batch's statement was planned
    in, while the batch held its hot account's lock.
    """
    parts = (
        (transfer_rows, False),
        (resolution_rows, True),
        (entry_rows, False),
        (balance_inserts, False),
        (balance_updates, True),
    )
    present = tuple(bool(rows) for rows, _ in parts)
    if not any(present):
        return None
    parameters: list[str | int] = []
    for rows, joins in parts:
        if rows:
            parameters.append(_json(rows))
            if joins:
                parameters.append(len(rows))
    return BatchWrite(_batch_write_sql(present), tuple(parameters))


def _json(rows: list[dict[str, Any]]) -> str:
    """`rows` as JSON text: orjson, or the standard library for what orjson refuses (an
    integer past 64 bits in a transfer's metadata), with ids and times written as orjson
    writes them."""
    try:
        return orjson.dumps(rows).decode()
    except orjson.JSONEncodeError:
        return json.dumps(rows, default=_json_value)


def _json_value(value: object) -> str:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _batch_write_parts() -> tuple[str, ...]:
    """The batch write's parts, in `batch_write`'s order: new transfers, hold resolutions,
    new entries, new balances, changed balances.

    Each UPDATE joins its rows through `LIMIT` their number. Why: PostgreSQL estimates every
    `json_populate_recordset` at 100 rows, whatever it holds, and for a batch's few dozen
    balances planned the UPDATE as a hash join over a sequential scan of every balance row:
    3.6 ms a batch with 10,000 accounts, growing with them, while the batch holds its hot
    account's lock. Told the true number, it probes the primary key once a row (0.4 ms).
    """

    def columns(table: Table, *, without: tuple[str, ...] = ()) -> str:
        return ", ".join(c.name for c in table.columns if c.name not in without)

    transfer_columns = columns(transfers)
    entry_columns = columns(entries, without=("id",))
    balance_columns = columns(balances)
    assignments = ", ".join(f"{name} = v.{name}" for name in _BALANCE_VALUES)
    return (
        f"INSERT INTO transfers ({transfer_columns}) SELECT {transfer_columns} "
        "FROM json_populate_recordset(NULL::transfers, %s::json)",
        "UPDATE transfers SET status = r.status "
        "FROM (SELECT * FROM json_populate_recordset(NULL::transfers, %s::json) LIMIT %s) AS r "
        "WHERE transfers.id = r.id AND transfers.status = 'pending'",
        f"INSERT INTO entries ({entry_columns}) SELECT {entry_columns} "
        "FROM json_populate_recordset(NULL::entries, %s::json)",
        f"INSERT INTO balances ({balance_columns}) SELECT {balance_columns} "
        "FROM json_populate_recordset(NULL::balances, %s::json)",
        f"UPDATE balances SET {assignments} "
        "FROM (SELECT * FROM json_populate_recordset(NULL::balances, %s::json) LIMIT %s) AS v "
        "WHERE balances.account_id = v.account_id AND balances.currency = v.currency",
    )


@cache
def _batch_write_sql(present: tuple[bool, ...]) -> str:
    """The parts `present` names as one statement: the last one is the statement, the others
    data-modifying WITH queries before it (PostgreSQL runs them all, on one snapshot)."""
    wanted_parts = zip(_BATCH_WRITE_PARTS, present, strict=True)
    *earlier, last = [part for part, wanted in wanted_parts if wanted]
    if not earlier:
        return last
    queries = ", ".join(f"part_{number} AS ({part})" for number, part in enumerate(earlier))
    return f"WITH {queries} {last}"


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
    bound = [[row[name] for name in columns] for row in rows]
    processors = _bind_processors(connection.dialect, table, tuple(columns))
    for index, (process, remembers) in enumerate(processors):
        if process is None:
            continue
        if not remembers:
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


@lru_cache(maxsize=64)  # a few tables' column lists per database engine
def _bind_processors(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[tuple[Callable[[Any], Any] | None, bool], ...]:
    """Each column's bind processing (None: the driver takes the value as it is), and
    whether its results may be remembered by value (not for JSON: lists and dicts).

    Why cached: working them out (the type's dialect implementation, a new closure each)
    cost 5 us a column, 45 columns a batch: more than a one-transfer batch's inserts."""
    types = [table.c[name].type for name in columns]
    return tuple(
        (kind.dialect_impl(dialect).bind_processor(dialect), not isinstance(kind, JSON))
        for kind in types
    )


def write_balances(connection: Connection, changed: Iterable[LockedBalance], now: datetime) -> None:
    """Insert the new balances and update the others, each row once."""
    if connection.dialect.name == "postgresql":
        _append_postgresql(connection, [], {}, [], changed, now)
        return
    inserts, updates = _balance_rows(changed, now)
    if inserts:
        _executemany_plain(connection, balances, inserts)
    if not updates:
        return
    assignments = ", ".join(f"{name} = ?" for name in _BALANCE_VALUES)
    connection.exec_driver_sql(
        f"UPDATE balances SET {assignments} WHERE account_id = ? AND currency = ?",
        _bound_rows(connection, balances, [*_BALANCE_VALUES, "account_id", "currency"], updates),
    )


# What `write_balances` sets on a balance row it updates.
_BALANCE_VALUES = (
    "posted",
    "held",
    "credit_limit",
    "version",
    "last_sequence",
    "last_entry_hash",
    "last_entry_at",
    "updated_at",
)


def _balance_rows(
    changed: Iterable[LockedBalance], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of the balances to insert (new ones) and of those to update."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for balance in changed:
        row = {
            "account_id": balance.account_id,
            "currency": balance.currency,
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
            row["tenant_id"] = balance.tenant_id
            inserts.append(row)
        else:
            updates.append(row)
    return inserts, updates


# Built once; `_batch_write_sql` puts together those a batch has rows for. The raw-driver
# baseline of the benchmark suite issues the same statements (through `batch_write`).
_BATCH_WRITE_PARTS = _batch_write_parts()
