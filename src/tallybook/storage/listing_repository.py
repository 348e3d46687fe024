"""Keyset-paginated lists of accounts, transfers and entries, with their filters.

Each query reads `limit + 1` rows past the window's key: the extra row says whether there is
a next page without counting anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    exists,
    func,
    literal,
    select,
    tuple_,
    union_all,
)

from tallybook.ledger.errors import ValidationError
from tallybook.ledger.queries import (
    AccountQuery,
    CountedPage,
    EntryQuery,
    HistoryLine,
    Page,
    Slice,
    TransferQuery,
    Window,
)
from tallybook.model import Account, Transfer
from tallybook.storage.history_sources import history_tables
from tallybook.storage.rows import account_from_row, entry_from_row, transfer_from_row
from tallybook.storage.tables import accounts, transfers

Key = TypeVar("Key", int, UUID)


def has_tag(connection: Connection, tags_column: Column[Any], tag: str) -> ColumnElement[bool]:
    """`tag` is one of the JSON array's strings (jsonb containment on PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        return tags_column.op("@>")(func.jsonb_build_array(tag))
    members = func.json_each(tags_column).table_valued("value").alias("tag_member")
    return exists(select(literal(1)).select_from(members).where(members.c.value == tag))


def windowed(query: Select[Any], key: Column[Any], window: Window[Key]) -> Select[Any]:
    if window.after is not None:
        query = query.where(key < window.after if window.newest_first else key > window.after)
    order = key.desc() if window.newest_first else key.asc()
    return query.order_by(order).limit(window.limit + 1)


def page_of_rows(items: list[Any], keys: list[Key], window: Window[Key]) -> Page[Any, Key]:
    if len(items) > window.limit:
        return Page(items=items[: window.limit], next_key=keys[window.limit - 1])
    return Page(items=items, next_key=None)


def _account_conditions(connection: Connection, query: AccountQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [accounts.c.tenant_id == query.tenant_id]
    if query.within is not None:
        conditions.append(accounts.c.id.in_(sorted(query.within)))
    if query.parent_id is not None:
        conditions.append(accounts.c.parent_id == query.parent_id)
    if query.external_id is not None:
        conditions.append(accounts.c.external_id == query.external_id)
    if query.status is not None:
        conditions.append(accounts.c.status == query.status.value)
    if query.kind is not None:
        conditions.append(accounts.c.kind == query.kind.value)
    if query.tag is not None:
        conditions.append(has_tag(connection, accounts.c.tags, query.tag))
    if query.name_contains:
        pattern = "%" + _escape_like(query.name_contains.lower()) + "%"
        conditions.append(func.lower(accounts.c.name).like(pattern, escape="\\"))
    return conditions


def list_accounts(
    connection: Connection, query: AccountQuery, window: Window[UUID]
) -> Page[Account, UUID]:
    conditions = _account_conditions(connection, query)
    statement = windowed(select(accounts).where(and_(*conditions)), accounts.c.id, window)
    rows = list(connection.execute(statement))
    return page_of_rows([account_from_row(row) for row in rows], [row.id for row in rows], window)


def slice_accounts(
    connection: Connection, query: AccountQuery, window: Slice
) -> CountedPage[Account]:
    """Accounts in number order (1, 2, 3...; newest first: highest number first), counted."""
    conditions = _account_conditions(connection, query)
    counted = select(func.count()).select_from(accounts).where(*conditions)
    total = connection.execute(counted).scalar_one()
    order = accounts.c.number.desc() if window.newest_first else accounts.c.number.asc()
    statement = (
        select(accounts)
        .where(*conditions)
        .order_by(order)
        .offset(window.offset)
        .limit(window.limit)
    )
    return CountedPage(
        items=[account_from_row(row) for row in connection.execute(statement)], total=total
    )


def list_transfers(
    connection: Connection, query: TransferQuery, window: Window[UUID]
) -> Page[Transfer, UUID]:
    conditions: list[ColumnElement[bool]] = [transfers.c.tenant_id == query.tenant_id]
    for account_ids in (query.account_ids, query.within):
        if account_ids is not None:
            ids = sorted(account_ids)
            conditions.append(
                transfers.c.debit_account_id.in_(ids) | transfers.c.credit_account_id.in_(ids)
            )
    if query.type is not None:
        conditions.append(transfers.c.type == query.type.value)
    if query.status is not None:
        conditions.append(transfers.c.status == query.status.value)
    if query.currency is not None:
        conditions.append(transfers.c.currency == query.currency)
    if query.order_number is not None:
        conditions.append(transfers.c.order_number == query.order_number)
    if query.created_from is not None:
        conditions.append(transfers.c.created_at >= query.created_from)
    if query.created_to is not None:
        conditions.append(transfers.c.created_at < query.created_to)
    statement = windowed(select(transfers).where(and_(*conditions)), transfers.c.id, window)
    rows = list(connection.execute(statement))
    return page_of_rows([transfer_from_row(row) for row in rows], [row.id for row in rows], window)


def list_entries(
    connection: Connection,
    query: EntryQuery,
    window: Window[int],
    amount_min: int | None = None,
    amount_max: int | None = None,
) -> Page[HistoryLine, int]:
    """The balance history in (created_at, id) order, over live and archived rows (or one of
    them, per `query.source`); amount bounds are minor units of `query.currency`, on |amount|.

    The page key stays the entry id; the position it stands for is read back (one seek), so
    every branch continues from the same (created_at, id) with an index seek. Raises
    ValidationError (`cursor`) for an id that is no entry of the tenant.
    """
    after = None if window.after is None else _position(connection, query.tenant_id, window.after)
    branches = [
        _history_branch(connection, table, query, window, after, amount_min, amount_max)
        for table in history_tables(query.source)
    ]
    if len(branches) == 1:
        statement = branches[0]
    else:
        merged = union_all(*(select(branch.subquery()) for branch in branches)).subquery()
        statement = select(merged).order_by(
            *_history_order(merged.c.e_created_at, merged.c.e_id, window)
        )
        statement = statement.limit(window.limit + 1)
    rows = list(connection.execute(statement))
    lines = [
        HistoryLine(entry=entry_from_row(row, prefix="e_"), transfer=transfer_from_row(row))
        for row in rows
    ]
    return page_of_rows(lines, [row.e_id for row in rows], window)


def _position(connection: Connection, tenant_id: UUID, entry_id: int) -> tuple[datetime, int]:
    """Where entry `entry_id` stands in the history: its (created_at, id)."""
    for table in history_tables():
        created_at = connection.execute(
            select(table.c.created_at).where(table.c.id == entry_id, table.c.tenant_id == tenant_id)
        ).scalar()
        if created_at is not None:
            return created_at, entry_id
    raise ValidationError("not a cursor this API gave out", field="cursor")


def _history_order(created_at: Any, entry_id: Any, window: Window[int]) -> list[Any]:
    if window.newest_first:
        return [created_at.desc(), entry_id.desc()]
    return [created_at.asc(), entry_id.asc()]


def _history_conditions(
    connection: Connection,
    table: Table,
    query: EntryQuery,
    amount_min: int | None,
    amount_max: int | None,
) -> list[ColumnElement[bool]]:
    """The query's filters on one history table joined with `transfers`."""
    conditions: list[ColumnElement[bool]] = [table.c.tenant_id == query.tenant_id]
    for account_ids in (query.account_ids, query.within):
        if account_ids is not None:
            conditions.append(table.c.account_id.in_(sorted(account_ids)))
    if query.account_kind is not None:
        kind_accounts = select(accounts.c.id).where(
            accounts.c.tenant_id == query.tenant_id, accounts.c.kind == query.account_kind.value
        )
        conditions.append(table.c.account_id.in_(kind_accounts))
    if query.currency is not None:
        conditions.append(table.c.currency == query.currency)
    if query.created_from is not None:
        conditions.append(table.c.created_at >= query.created_from)
    if query.created_to is not None:
        conditions.append(table.c.created_at < query.created_to)
    if amount_min is not None:
        conditions.append(func.abs(table.c.amount) >= amount_min)
    if amount_max is not None:
        conditions.append(func.abs(table.c.amount) <= amount_max)
    if query.type is not None:
        conditions.append(transfers.c.type == query.type.value)
    if query.order_number is not None:
        conditions.append(transfers.c.order_number == query.order_number)
    if query.country_code is not None:
        conditions.append(transfers.c.country_code == query.country_code)
    if query.tag is not None:
        conditions.append(has_tag(connection, transfers.c.tags, query.tag))
    return conditions


def _filters_transfers(query: EntryQuery) -> bool:
    """Whether a filter is on the transfer's columns (so the count must join it)."""
    return any(
        value is not None
        for value in (query.type, query.order_number, query.country_code, query.tag)
    )


def _history_branch(
    connection: Connection,
    table: Table,
    query: EntryQuery,
    window: Window[int],
    after: tuple[datetime, int] | None,
    amount_min: int | None,
    amount_max: int | None,
) -> Select[Any]:
    """One table's rows of the page: filtered, continued after `after`, ordered, limited."""
    conditions = _history_conditions(connection, table, query, amount_min, amount_max)
    if after is not None:
        position = tuple_(table.c.created_at, table.c.id)
        bound = tuple_(literal(after[0], table.c.created_at.type), literal(after[1]))
        conditions.append(position < bound if window.newest_first else position > bound)
    entry_columns = [column.label(f"e_{column.name}") for column in table.c]
    return (
        select(*entry_columns, *transfers.c)
        .select_from(table.join(transfers, transfers.c.id == table.c.transfer_id))
        .where(*conditions)
        .order_by(*_history_order(table.c.created_at, table.c.id, window))
        .limit(window.limit + 1)
    )


def count_entries(
    connection: Connection,
    query: EntryQuery,
    amount_min: int | None = None,
    amount_max: int | None = None,
) -> int:
    """How many entries match, counted by the database over the matching index range (the
    core uses stored sequences instead whenever the filters allow)."""
    total = 0
    for table in history_tables(query.source):
        conditions = _history_conditions(connection, table, query, amount_min, amount_max)
        source: Any = table
        if _filters_transfers(query):
            source = table.join(transfers, transfers.c.id == table.c.transfer_id)
        statement = select(func.count()).select_from(source).where(*conditions)
        total += connection.execute(statement).scalar_one()
    return total


def slice_entries(
    connection: Connection,
    query: EntryQuery,
    window: Slice,
    amount_min: int | None = None,
    amount_max: int | None = None,
) -> CountedPage[HistoryLine]:
    """A slice of the balance history in (created_at, id) order over live and archived rows
    (per `query.source`), and how many entries match in all (the seed APIs' offset and
    page-number pagination). Each table gives its first `offset + limit + 1` rows; the slice
    is cut from their merge."""
    total = count_entries(connection, query, amount_min, amount_max)
    order: Window[int] = Window(
        limit=window.offset + window.limit, newest_first=window.newest_first
    )
    branches = [
        _history_branch(connection, table, query, order, None, amount_min, amount_max)
        for table in history_tables(query.source)
    ]
    merged = union_all(*(select(branch.subquery()) for branch in branches)).subquery()
    statement = (
        select(merged)
        .order_by(*_history_order(merged.c.e_created_at, merged.c.e_id, order))
        .offset(window.offset)
        .limit(window.limit)
    )
    rows = list(connection.execute(statement))
    lines = [
        HistoryLine(entry=entry_from_row(row, prefix="e_"), transfer=transfer_from_row(row))
        for row in rows
    ]
    return CountedPage(items=lines, total=total)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class OwnedQuery(Protocol):
    """The filters every list of a flow's records shares (`wallet_model`'s queries)."""

    @property
    def tenant_id(self) -> UUID: ...
    @property
    def account_id(self) -> UUID | None: ...
    @property
    def within(self) -> frozenset[UUID] | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def created_from(self) -> datetime | None: ...
    @property
    def created_to(self) -> datetime | None: ...


def owned_conditions(table: Table, query: OwnedQuery) -> list[ColumnElement[bool]]:
    """Tenant, account (and the key's scope), currency, creation time (`created_to`
    exclusive): the conditions of every list of a flow's records."""
    conditions: list[ColumnElement[bool]] = [table.c.tenant_id == query.tenant_id]
    if query.account_id is not None:
        conditions.append(table.c.account_id == query.account_id)
    if query.within is not None:
        conditions.append(table.c.account_id.in_(sorted(query.within)))
    if query.currency is not None:
        conditions.append(table.c.currency == query.currency)
    if query.created_from is not None:
        conditions.append(table.c.created_at >= query.created_from)
    if query.created_to is not None:
        conditions.append(table.c.created_at < query.created_to)
    return conditions
