"""The posting engine's two lock statements on SQLite, issued through the driver.

Why: through SQLAlchemy a lock of 27 accounts took 570 us, the statement itself 170. The
expanding `IN` list was rendered again for every batch (its length changes), so SQLite also
prepared a new statement each time, and every row's ids were parsed back into UUIDs. Here the
ids go in as one JSON array (`json_each`), so the SQL never changes; each row's own id is
mapped back to the UUID the caller passed, and a tenant id, the same on most rows, is parsed
once. The plans stay index probes, one an id (tests/storage/test_sqlite_locks.py).

Nothing is locked as such on SQLite: the batch's `BEGIN IMMEDIATE` holds the database's one
write lock, so these rows cannot change until it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from tallybook.model import AccountKind
from tallybook.storage.database import load_json
from tallybook.storage.locked_rows import LockedAccount, LockedBalance, columns_of
from tallybook.storage.tables import accounts, balances

# A system account's metadata (the one currency it holds); no other account's is read.
_SYSTEM_METADATA = f"CASE WHEN kind = '{AccountKind.SYSTEM.value}' THEN metadata END"
_ACCOUNT_COLUMNS = ", ".join(
    _SYSTEM_METADATA if column.name == "metadata" else column.name
    for column in columns_of(accounts, LockedAccount)
)
ACCOUNT_ROWS_SQL = (
    f"SELECT {_ACCOUNT_COLUMNS} FROM accounts "
    "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"
)
_BALANCE_COLUMNS = ", ".join(column.name for column in columns_of(balances, LockedBalance))
BALANCE_ROWS_SQL = (
    f"SELECT {_BALANCE_COLUMNS} FROM balances "
    "WHERE currency IN (SELECT value FROM json_each(?)) "
    "AND account_id IN (SELECT value FROM json_each(?)) ORDER BY account_id, currency"
)

AccountRow = tuple[UUID, UUID, str, str, str, Any]
BalanceRow = tuple[UUID, str, UUID, int, int, int, int, int, str | None, datetime | None]


def account_rows(connection: Connection, account_ids: Collection[UUID]) -> Iterator[AccountRow]:
    """`LockedAccount`'s fields (metadata: a system account's, else None) of each of
    `account_ids` that exists, in id order."""
    by_text = {account_id.hex: account_id for account_id in account_ids}
    tenant_of = _UuidsOfText()
    rows = connection.exec_driver_sql(ACCOUNT_ROWS_SQL, (_json_list(sorted(by_text)),))
    for stored_id, tenant_id, external_id, status, kind, metadata in rows.fetchall():
        document = None if metadata is None else load_json(metadata)
        yield by_text[stored_id], tenant_of(tenant_id), external_id, status, kind, document


def balance_rows(
    connection: Connection, account_ids: Collection[UUID], currencies: Collection[str]
) -> Iterator[BalanceRow]:
    """`LockedBalance`'s stored fields of the balances of `account_ids` in `currencies`, in
    (account, currency) order."""
    by_text = {account_id.hex: account_id for account_id in account_ids}
    tenant_of = _UuidsOfText()
    moment_of = _moment_reader(connection.dialect)
    parameters = (_json_list(sorted(currencies)), _json_list(sorted(by_text)))
    for row in connection.exec_driver_sql(BALANCE_ROWS_SQL, parameters).fetchall():
        (account_id, currency, tenant_id, posted, held, limit, version, sequence, head, at) = row
        yield (
            by_text[account_id],
            currency,
            tenant_of(tenant_id),
            posted,
            held,
            limit,
            version,
            sequence,
            head,
            moment_of(at),
        )


def _json_list(values: list[str]) -> str:
    return orjson.dumps(values).decode()


class _UuidsOfText:
    """Stored ids read back as UUIDs, each distinct text parsed once."""

    def __init__(self) -> None:
        self._parsed: dict[str, UUID] = {}

    def __call__(self, text: str) -> UUID:
        found = self._parsed.get(text)
        if found is None:
            found = self._parsed[text] = UUID(hex=text)
        return found


@cache
def _moment_reader(dialect: Dialect) -> Callable[[Any], datetime | None]:
    """`last_entry_at` as its column type reads it (an aware UTC datetime, or None)."""
    column_type = balances.c.last_entry_at.type
    process = column_type.dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None  # a UtcDateTime always converts
    return process
