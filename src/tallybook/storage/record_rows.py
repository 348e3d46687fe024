"""Locking and saving the records of wallet-flow steps: locked in key order, new ones
inserted, changed ones updated, in bulk."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, Table, and_, bindparam, insert, select, tuple_, update

from tallybook.storage.posting_repository import chunked


def lock_rows(
    connection: Connection,
    table: Table,
    key_columns: Sequence[str],
    tenant_id: UUID,
    keys: Collection[Any],
) -> list[Row[Any]]:
    """The tenant's rows of `table` whose key (one column: values; several: tuples) is among
    `keys`, locked `FOR UPDATE` in key order (chunked, to stay under parameter limits)."""
    columns = [table.c[name] for name in key_columns]
    key = columns[0] if len(columns) == 1 else tuple_(*columns)
    rows: list[Row[Any]] = []
    for chunk in chunked(sorted(keys)):
        query = (
            select(table)
            .where(table.c.tenant_id == tenant_id, key.in_(chunk))
            .order_by(*columns)
            .with_for_update()
        )
        rows.extend(connection.execute(query))
    return rows


def save_changes(
    connection: Connection,
    table: Table,
    changes: Sequence[tuple[object | None, object]],
    to_row: Callable[[object], dict[str, Any]],
    changing: Sequence[str],
    key_columns: Sequence[str] = ("id",),
) -> None:
    """Insert the records that were not there when locked (`before` None); for the others
    write only the `changing` columns, found by `key_columns`. One statement of each kind."""
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for before, after in changes:
        row = to_row(after)
        if before is None:
            new_rows.append(row)
        else:
            keys = {f"b_{name}": row[name] for name in key_columns}
            changed_rows.append(keys | {name: row[name] for name in changing})
    if new_rows:
        connection.execute(insert(table), new_rows)
    if changed_rows:
        found_by = and_(*(table.c[name] == bindparam(f"b_{name}") for name in key_columns))
        connection.execute(update(table).where(found_by), changed_rows)
