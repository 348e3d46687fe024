"""Keyset-paginated lists of accounts, transfers and entries, with their filters.

Each query reads `limit + 1` rows past the window's key: the extra row says whether there is
a next page without counting anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Column,
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
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
    HistoryPosition,
    HistorySource,
    Item,
    Key,
    Page,
    Slice,
    TransferQuery,
    Window,
)
from tallybook.model import Account, Transfer
from tallybook.storage.database import generic_plans
from tallybook.storage.history_sources import history_tables
from tallybook.storage.rows import (
    HISTORY_TRANSFER_COLUMNS,
    account_from_row,
    history_reader,
    transfer_from_row,
)
from tallybook.storage.tables import accounts, tenants, transfers
from tallybook.storage.value_builders import builder


def has_tag(dialect: str, tags_column: Column[Any], tag: Any) -> ColumnElement[bool]:
    """`tag` (a string or a bound parameter) is one of the JSON array's strings (jsonb
    containment on PostgreSQL)."""
    if dialect == "postgresql":
        return tags_column.op("@>")(func.jsonb_build_array(tag))
    members = func.json_each(tags_column).table_valued("value").alias("tag_member")
    return exists(select(literal(1)).select_from(members).where(members.c.value == tag))


def page_limit(value: int | None = None) -> BindParameter[int]:
    """A page's row limit (`value`, or the bound `limit` at execution), written into the SQL
    rather than bound; also any statement's fixed LIMIT (the as-of seeks' `LIMIT 1`).

    PostgreSQL plans a prepared statement once for all its values after a few runs; not
    knowing the LIMIT, it costs the plan as if one row in ten were wanted and, on a large
    history, picks a parallel scan whose worker start-up took ten times the query (12 ms
    against 0.7 ms for a page of 100). A few distinct limits make a few plans."""
    return bindparam("limit", value, type_=Integer, literal_execute=True)


def windowed(query: Select[Any], key: Column[Any], window: Window[Key]) -> Select[Any]:
    if window.after is not None:
        query = query.where(key < window.after if window.newest_first else key > window.after)
    order = key.desc() if window.newest_first else key.asc()
    return query.order_by(order).limit(page_limit(window.limit + 1))


def page_of_rows(
    items: list[Item], key_of: Callable[[Item], Key], window: Window[Key]
) -> Page[Item, Key]:
    """The page out of `window.limit + 1` items read: the extra one says another page follows,
    which then starts after the key (`key_of`) of the page's last item."""
    if len(items) > window.limit:
        return Page(items=items[: window.limit], next_key=key_of(items[window.limit - 1]))
    return Page(items=items, next_key=None)


def by_id(item: Any) -> Any:
    """An item's key in a list ordered by id."""
    return item.id


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
        conditions.append(has_tag(connection.dialect.name, accounts.c.tags, query.tag))
    if query.name_contains:
        pattern = "%" + _escape_like(query.name_contains.lower()) + "%"
        conditions.append(func.lower(accounts.c.name).like(pattern, escape="\\"))
    return conditions


def list_accounts(
    connection: Connection, query: AccountQuery, window: Window[UUID]
) -> Page[Account, UUID]:
    conditions = _account_conditions(connection, query)
    statement = windowed(select(accounts).where(and_(*conditions)), accounts.c.id, window)
    rows = connection.execute(statement).all()
    return page_of_rows([account_from_row(row) for row in rows], by_id, window)


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
    rows = connection.execute(statement).all()
    return page_of_rows([transfer_from_row(row) for row in rows], by_id, window)


def list_entries(
    connection: Connection,
    query: EntryQuery,
    window: Window[HistoryPosition],
    amount_min: int | None = None,
    amount_max: int | None = None,
) -> Page[HistoryLine, HistoryPosition]:
    """The balance history in (created_at, id) order, over live and archived rows (or one of
    them, per `query.source`); amount bounds are minor units of `query.currency`, on |amount|.

    A page continues from the position it is given. A position known only by its entry's id
    has its time looked up first. Raises ValidationError (`cursor`) for an entry that is not
    the tenant's: looked up then, or, for a position with its time, only when the page comes
    back empty (to tell such a cursor from the end of the history).

    Over both tables, the live rows are read first, with the tenant's `archived_through`;
    the archive is read only when it could hold rows of the page (`_archive_may_add`), and
    the two are merged. Why not one statement over both: PostgreSQL planned the archive's
    half for every page, archive empty or not, which was half the page's planning.
    """
    parameters = _history_parameters(query, amount_min, amount_max)
    filters = frozenset(parameters)
    start: datetime | None = None  # when the entry the page continues after was written
    if window.after is not None:
        after_id = window.after.entry_id
        start = window.after.created_at or _cursor_entry_time(connection, query.tenant_id, after_id)
        parameters |= {"after_created_at": start, "after_id": after_id}
    parameters["limit"] = window.limit + 1

    def read(source: HistorySource, reads_horizon: bool = False) -> Sequence[Row[Any]]:
        shape = _HistoryShape(
            connection.dialect.name, source, window.newest_first, start is not None, filters,
            reads_horizon,
        )  # fmt: skip
        return connection.execute(_history_page_statement(shape), parameters).all()

    # Planned once per connection: see `generic_plans`, and why only the page's statements.
    with generic_plans(connection):
        if query.source is not HistorySource.ALL:
            lines = _history_lines(read(query.source))
        else:
            live = read(HistorySource.LIVE, reads_horizon=True)
            lines = _history_lines(live)
            if _archive_may_add(live, window, start):
                archived = _history_lines(read(HistorySource.ARCHIVED))
                lines = _merged(lines, archived, window)
    if not lines and window.after is not None:
        _cursor_entry_time(connection, query.tenant_id, window.after.entry_id)
    return page_of_rows(lines, _position, window)


def _archive_may_add(
    live: Sequence[Row[Any]], window: Window[HistoryPosition], start: datetime | None
) -> bool:
    """Whether the archive can hold a row of the page, given the page's live rows (each
    carrying the tenant's `archived_through`: every archived entry is stamped at or before
    it). Newest first, archived rows come after every live row stamped later than that: the
    archive is needed unless the live rows fill the page before reaching it. Oldest first,
    they come before every such row: needed unless the page starts (`start`) after it."""
    if not live:
        return True  # no row to tell the tenant's bound: read the archive
    through = live[0].archived_through
    if through is None:
        return False
    if window.newest_first:
        return len(live) <= window.limit or live[-1].e_created_at <= through
    return start is None or start <= through


def _merged(
    live: list[HistoryLine], archived: list[HistoryLine], window: Window[HistoryPosition]
) -> list[HistoryLine]:
    """The page's rows (`window.limit + 1`) out of both tables' rows. An entry archived
    between the two reads is in both; it counts once."""
    once = {line.entry.id: line for line in (*archived, *live)}
    ordered = sorted(once.values(), key=_sort_key, reverse=window.newest_first)
    return ordered[: window.limit + 1]


def _sort_key(line: HistoryLine) -> tuple[datetime, int]:
    return line.entry.created_at, line.entry.id


def _position(line: HistoryLine) -> HistoryPosition:
    return HistoryPosition(line.entry.id, line.entry.created_at)


@dataclass(frozen=True, slots=True)
class _HistoryShape:
    """What a history page's SQL depends on (which filters, not their values): pages of one
    shape share one statement, built once with bound parameters. Building it (35 labelled
    columns) cost more than running it. `reads_horizon`: each row also carries the tenant's
    `archived_through`."""

    dialect: str
    source: HistorySource
    newest_first: bool
    continues: bool
    filters: frozenset[str]
    reads_horizon: bool = False


@functools.lru_cache(maxsize=256)
def _history_page_statement(shape: _HistoryShape) -> Select[Any]:
    """A page's statement on the one table of `shape.source` (LIVE or ARCHIVED)."""
    (table,) = history_tables(shape.source)
    statement = _history_branch(shape, table)
    if shape.reads_horizon:
        through = select(tenants.c.archived_through).where(tenants.c.id == bindparam("tenant_id"))
        statement = statement.add_columns(through.scalar_subquery().label("archived_through"))
    return statement


def _history_lines(rows: Sequence[Row[Any]]) -> list[HistoryLine]:
    if not rows:
        return []
    read = history_reader(rows[0]._fields, entry_prefix="e_")
    return [_build_history_line(*read(row)) for row in rows]


_build_history_line = builder(HistoryLine)  # see value_builders


def _cursor_entry_time(connection: Connection, tenant_id: UUID, entry_id: int) -> datetime:
    """When the cursor's entry was written, live or archived. Raises ValidationError
    (`cursor`) unless it is an entry of the tenant."""
    for table in history_tables():
        moment = connection.execute(
            select(table.c.created_at).where(table.c.id == entry_id, table.c.tenant_id == tenant_id)
        ).scalar()
        if moment is not None:
            return moment  # type: ignore[no-any-return]
    raise ValidationError("not a cursor this API gave out", field="cursor")


def _history_order(created_at: Any, entry_id: Any, newest_first: bool) -> list[Any]:
    if newest_first:
        return [created_at.desc(), entry_id.desc()]
    return [created_at.asc(), entry_id.asc()]


# The filters on the joined transfer's columns (the others are on the entry's).
_TRANSFER_FILTERS = frozenset({"type", "order_number", "country_code", "tag"})


def _history_parameters(
    query: EntryQuery, amount_min: int | None, amount_max: int | None
) -> dict[str, Any]:
    """The values of the query's filters, named as `_history_conditions` binds them."""
    values: dict[str, Any] = {
        "tenant_id": query.tenant_id,
        "account_ids": None if query.account_ids is None else sorted(query.account_ids),
        "within": None if query.within is None else sorted(query.within),
        "account_kind": None if query.account_kind is None else query.account_kind.value,
        "currency": query.currency,
        "created_from": query.created_from,
        "created_to": query.created_to,
        "amount_min": amount_min,
        "amount_max": amount_max,
        "type": None if query.type is None else query.type.value,
        "order_number": query.order_number,
        "country_code": query.country_code,
        "tag": query.tag,
    }
    return {name: value for name, value in values.items() if value is not None}


def _history_conditions(
    dialect: str, table: Table, filters: Collection[str]
) -> list[ColumnElement[bool]]:
    """The conditions of the named `filters` (see `_history_parameters`) on one history
    table joined with `transfers`, with their values left as bound parameters."""
    conditions: list[ColumnElement[bool]] = [table.c.tenant_id == bindparam("tenant_id")]
    for name in ("account_ids", "within"):
        if name in filters:
            conditions.append(table.c.account_id.in_(bindparam(name, expanding=True)))
    if "account_kind" in filters:
        kind_accounts = select(accounts.c.id).where(
            accounts.c.tenant_id == bindparam("tenant_id"),
            accounts.c.kind == bindparam("account_kind"),
        )
        conditions.append(table.c.account_id.in_(kind_accounts))
    if "currency" in filters:
        conditions.append(table.c.currency == bindparam("currency"))
    if "created_from" in filters:
        conditions.append(table.c.created_at >= bindparam("created_from"))
    if "created_to" in filters:
        conditions.append(table.c.created_at < bindparam("created_to"))
    if "amount_min" in filters:
        conditions.append(func.abs(table.c.amount) >= bindparam("amount_min", type_=BigInteger))
    if "amount_max" in filters:
        conditions.append(func.abs(table.c.amount) <= bindparam("amount_max", type_=BigInteger))
    for name in sorted(_TRANSFER_FILTERS - {"tag"}):
        if name in filters:
            conditions.append(transfers.c[name] == bindparam(name))
    if "tag" in filters:
        conditions.append(has_tag(dialect, transfers.c.tags, bindparam("tag", type_=String)))
    return conditions


def _history_branch(shape: _HistoryShape, table: Table) -> Select[Any]:
    """One table's rows of the page: filtered, continued after the bound position, ordered,
    limited."""
    conditions = _history_conditions(shape.dialect, table, shape.filters)
    if shape.continues:
        position = tuple_(table.c.created_at, table.c.id)
        bound = tuple_(
            bindparam("after_created_at", type_=table.c.created_at.type),
            bindparam("after_id", type_=BigInteger),
        )
        conditions.append(position < bound if shape.newest_first else position > bound)
    entry_columns = [column.label(f"e_{column.name}") for column in table.c]
    transfer_columns = [transfers.c[name] for name in HISTORY_TRANSFER_COLUMNS]
    return (
        select(*entry_columns, *transfer_columns)
        .select_from(table.join(transfers, transfers.c.id == table.c.transfer_id))
        .where(*conditions)
        .order_by(*_history_order(table.c.created_at, table.c.id, shape.newest_first))
        .limit(page_limit())
    )


def count_entries(
    connection: Connection,
    query: EntryQuery,
    amount_min: int | None = None,
    amount_max: int | None = None,
) -> int:
    """How many entries match, counted by the database over the matching index range (the
    core uses stored sequences instead whenever the filters allow)."""
    parameters = _history_parameters(query, amount_min, amount_max)
    total = 0
    for table in history_tables(query.source):
        conditions = _history_conditions(connection.dialect.name, table, parameters)
        source: Any = table
        if _TRANSFER_FILTERS & parameters.keys():  # a filter on the transfer: join it
            source = table.join(transfers, transfers.c.id == table.c.transfer_id)
        statement = select(func.count()).select_from(source).where(*conditions)
        total += connection.execute(statement, parameters).scalar_one()
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
    parameters = _history_parameters(query, amount_min, amount_max)
    shape = _HistoryShape(
        connection.dialect.name,
        query.source,
        window.newest_first,
        continues=False,
        filters=frozenset(parameters),
    )
    branches = [_history_branch(shape, table) for table in history_tables(query.source)]
    merged = union_all(*(select(branch.subquery()) for branch in branches)).subquery()
    statement = (
        select(merged)
        .order_by(*_history_order(merged.c.e_created_at, merged.c.e_id, window.newest_first))
        .offset(window.offset)
        .limit(window.limit)
    )
    each_branch = {"limit": window.offset + window.limit + 1}
    rows = connection.execute(statement, parameters | each_branch).all()
    lines = _history_lines(rows)
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
