"""The DirectMail surface's application and its `scoreLogList` endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI, Header, Request

from tallybook.api.caller import Caller
from tallybook.ledger import Ledger
from tallybook.ledger.limits import MAX_COUNTRY_CODE_LENGTH, MAX_REFERENCE_LENGTH, MAX_TAG_LENGTH
from tallybook.ledger.queries import EntryQuery, HistoryLine, Slice
from tallybook.model import Account, AccountKind, TransferType
from tallybook.surfaces.common import (
    BadParameter,
    TenantStyle,
    identify,
    short_text,
    surface_app,
    whole_number,
)
from tallybook.surfaces.directmail import errors as surface_errors
from tallybook.surfaces.directmail.errors import SUCCESS, MissingToken
from tallybook.surfaces.directmail.mapping import TRANSFER_TYPES, score_log

PREFIX = "/user"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
DATE_FORMAT = "%Y-%m-%d"
DATE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def create_app(ledger: Ledger) -> FastAPI:
    app = surface_app(ledger, "Tallybook: DirectMail API 2.0 finance")
    surface_errors.install(app)
    app.add_api_route("/scoreLogList", score_log_list, methods=["GET"])
    return app


def _caller(request: Request, token: str | None) -> Caller:
    if not token:
        raise MissingToken()
    return identify(request, token, "x-token")


def _moment(name: str, raw: str | None, style: TenantStyle, *, is_end: bool) -> datetime | None:
    """`start`/`end` in the tenant's time zone: a day (`2023-04-19`, the whole day) or a
    moment (`2023-04-19 23:54:30`, that second). Both ends are inclusive; the core's upper
    bound is exclusive, so an end moves to the next day or second."""
    text = (raw or "").strip()
    if not text:
        return None
    for layout, step in (
        (DATE_FORMAT, timedelta(days=1)),
        (DATE_TIME_FORMAT, timedelta(seconds=1)),
    ):
        try:
            local = datetime.strptime(text, layout).replace(tzinfo=style.zone)
        except ValueError:
            continue
        return local + step if is_end else local
    raise BadParameter(name, f"{text[:40]!r} is neither yyyy-MM-dd nor yyyy-MM-dd HH:mm:ss")


def _type(raw: str | None) -> TransferType | None:
    number = whole_number("type", raw, default=0, minimum=1)
    if number == 0:
        return None
    if number not in TRANSFER_TYPES:
        known = ", ".join(str(n) for n in sorted(TRANSFER_TYPES))
        raise BadParameter("type", f"{number} is not a type (the types are {known})")
    return TRANSFER_TYPES[number]


def _agents(caller: Caller, lines: list[HistoryLine]) -> dict[UUID, Account]:
    """The accounts of the rows and their parents, by id."""
    agents = caller.ledger.accounts_by_ids(
        caller.tenant_id, {line.entry.account_id for line in lines}
    )
    parent_ids = {a.parent_id for a in agents.values() if a.parent_id is not None} - agents.keys()
    agents.update(caller.ledger.accounts_by_ids(caller.tenant_id, parent_ids))
    return agents


def score_log_list(
    request: Request,
    x_token: Annotated[str | None, Header()] = None,
    page: str | None = None,
    pageSize: str | None = None,  # noqa: N803 - the seed's parameter name
    country_code: str | None = None,
    type: str | None = None,
    order_no: str | None = None,
    start: str | None = None,
    end: str | None = None,
    tag: str | None = None,
) -> Any:
    """The balance changes of the key's account and its sub-accounts, newest first. Empty
    parameters (the seed's own example sends `country_code=&type=&...`) filter nothing."""
    caller = _caller(request, x_token)
    style = TenantStyle.of(caller)
    number = whole_number("page", page, default=1, minimum=1)
    size = min(
        whole_number("pageSize", pageSize, default=DEFAULT_PAGE_SIZE, minimum=1), MAX_PAGE_SIZE
    )
    query = EntryQuery(
        caller.tenant_id,
        type=_type(type),
        order_number=short_text("order_no", order_no, MAX_REFERENCE_LENGTH),
        country_code=short_text("country_code", country_code, MAX_COUNTRY_CODE_LENGTH),
        tag=short_text("tag", tag, MAX_TAG_LENGTH),
        created_from=_moment("start", start, style, is_end=False),
        created_to=_moment("end", end, style, is_end=True),
        within=caller.scope.account_ids,
        account_kind=AccountKind.CUSTOMER,
    )
    found = caller.ledger.slice_entries(query, Slice(offset=(number - 1) * size, limit=size))
    lines = list(found.items)
    agents = _agents(caller, lines)
    rows = []
    for line in lines:
        agent = agents[line.entry.account_id]
        parent = None if agent.parent_id is None else agents[agent.parent_id]
        rows.append(score_log(line, agent, parent, style))
    return surface_errors.envelope(
        SUCCESS, {"list": rows, "total": found.total, "page": number, "pageSize": size}, "success"
    )
