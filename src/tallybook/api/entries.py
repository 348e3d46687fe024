"""`/v1/entries`: the balance history, with the filters people search it by; as JSON pages,
or streamed whole as CSV or JSON Lines (`format`, or the `Accept` header)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import Field

from tallybook.api.caller import Caller, ReadCaller
from tallybook.api.formats import MEDIA_TYPES, OutputFormat, negotiate
from tallybook.api.openapi import problem_responses
from tallybook.api.pagination import (
    CursorParameter,
    LimitParameter,
    ListPage,
    Order,
    OrderParameter,
    encode_cursor,
    window,
)
from tallybook.api.parameters import (
    AmountBound,
    CountryCodeFilter,
    CreatedFrom,
    CreatedTo,
    CurrencyFilter,
    OrderNumberFilter,
    TagFilter,
    TypeFilter,
)
from tallybook.api.reads import in_one_read
from tallybook.api.schemas import ACCOUNT_ID, EntryOut, decimal_of
from tallybook.api.usual_reads import usual_read_route
from tallybook.ledger.queries import EntryQuery, HistoryPosition, HistorySource, Window
from tallybook.render.entry_export import export_chunks
from tallybook.render.entry_records import encode_json, entry_record

router = APIRouter(prefix="/v1/entries", tags=["entries"])

ENTRY_FORMATS = (OutputFormat.JSON, OutputFormat.CSV, OutputFormat.JSONL)


class EntryPage(ListPage[EntryOut]):
    total: int | None = Field(
        None, description="with include_total=true: how many entries match, exactly", examples=[2]
    )


@usual_read_route(
    router,
    "",
    summary="List balance history entries, or export them as CSV or JSON Lines",
    response_model=EntryPage,
    responses={
        **problem_responses(404),
        200: {
            "description": "a page (JSON), or every matching entry streamed (CSV, JSON Lines)",
            "content": {MEDIA_TYPES[OutputFormat.CSV]: {}, MEDIA_TYPES[OutputFormat.JSONL]: {}},
        },
    },
)
async def list_entries(
    caller: ReadCaller,
    account_id: Annotated[
        UUID | None, Query(description="only this account's history", examples=[ACCOUNT_ID])
    ] = None,
    include_sub_accounts: Annotated[
        bool,
        Query(description="with `account_id`: its sub-accounts' entries too", examples=[True]),
    ] = False,
    type: TypeFilter = None,
    currency: CurrencyFilter = None,
    order_number: OrderNumberFilter = None,
    country_code: CountryCodeFilter = None,
    tag: TagFilter = None,
    created_from: CreatedFrom = None,
    created_to: CreatedTo = None,
    amount_min: AmountBound = None,
    amount_max: AmountBound = None,
    archived: Annotated[
        HistorySource,
        Query(
            description="`all` (default), `live`, or `archived` only: the older history",
            examples=["archived"],
        ),
    ] = HistorySource.ALL,
    include_total: Annotated[
        bool, Query(description="add the exact `total`", examples=[True])
    ] = False,
    limit: LimitParameter = 100,
    cursor: CursorParameter = None,
    order: OrderParameter = Order.NEWEST_FIRST,
    format: Annotated[
        OutputFormat | None,
        Query(description="json (a page), csv or jsonl (everything, streamed)", examples=["csv"]),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response | EntryPage:
    chosen = negotiate(format, accept, ENTRY_FORMATS)

    def answer() -> Response:
        # A page of one account checks the account only when it comes back empty: a row of
        # the tenant's history is one of the tenant's accounts, and the read is saved.
        unchecked = account_id if chosen is OutputFormat.JSON and not include_sub_accounts else None
        if unchecked is not None:
            caller.scope.require_account(unchecked, "account_id")
            named: frozenset[UUID] | None = frozenset({unchecked})
        else:
            named = caller.accounts_named(account_id, include_sub_accounts)
        query = EntryQuery(
            tenant_id=caller.tenant_id,
            account_ids=named,
            type=type,
            currency=currency,
            order_number=order_number,
            country_code=country_code,
            tag=tag,
            created_from=created_from,
            created_to=created_to,
            amount_min=None if amount_min is None else decimal_of(amount_min),
            amount_max=None if amount_max is None else decimal_of(amount_max),
            within=caller.scope.account_ids,
            source=archived,
        )
        if chosen is not OutputFormat.JSON:
            return _export(caller, query, chosen, order)
        page_window = window(limit, cursor, order, HistoryPosition.parse)
        return _entry_page(caller, query, page_window, order, include_total, unchecked)

    return await in_one_read(caller.ledger, answer)


def _entry_page(
    caller: Caller,
    query: EntryQuery,
    page_window: Window[HistoryPosition],
    order: Order,
    include_total: bool,
    unchecked_account: UUID | None,
) -> Response:
    """The page as `EntryPage` JSON, written straight from the entries' flat records. An empty
    page of `unchecked_account` is a 404 when the account is not the tenant's.

    A page is a hundred entries; checking each as an `EntryOut` model and serialising it
    again cost more than reading them. The records have `EntryOut`'s fields and formats (the
    exports share them), and a test holds the two to each other."""
    page = caller.ledger.list_entries(query, page_window)
    if not page.items and unchecked_account is not None:
        caller.account(unchecked_account)
    decimals = caller.ledger.decimals_in_use(
        caller.tenant_id, {line.entry.currency for line in page.items}
    )
    cursor = None if page.next_key is None else encode_cursor(page.next_key, order)
    body = {
        "data": [entry_record(line, decimals[line.entry.currency]) for line in page.items],
        "has_more": cursor is not None,
        "next_cursor": cursor,
        "total": caller.ledger.count_entries(query) if include_total else None,
    }
    return Response(encode_json(body), media_type="application/json")


def _export(
    caller: Caller, query: EntryQuery, chosen: OutputFormat, order: Order
) -> StreamingResponse:
    """Stream every matching entry. The query is checked before the first byte (a bad filter
    is still a 422); the end is fixed at the request's time, so a busy account's export
    finishes; `limit` and `cursor` do not apply."""
    started = datetime.now(UTC)
    if query.created_to is None or query.created_to > started:
        query = replace(query, created_to=started)
    caller.ledger.check_entry_query(query)
    chunks = export_chunks(caller.ledger, query, chosen, newest_first=order is Order.NEWEST_FIRST)
    # A plain generator: Starlette iterates it in a worker thread, so the event loop keeps
    # serving other requests while the database is read.
    lines = (text for text, _count in chunks)
    filename = f"entries-{started:%Y%m%dT%H%M%SZ}.{chosen.value}"
    return StreamingResponse(
        lines,
        media_type=MEDIA_TYPES[chosen],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
