"""`/v1/accounts/{id}/statement`: an account's statement for a range of local days, as JSON,
CSV or PDF (`format`, or the `Accept` header)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from tallybook.api.caller import ReadCaller
from tallybook.api.formats import MEDIA_TYPES, OutputFormat, negotiate
from tallybook.api.openapi import problem_responses
from tallybook.api.parameters import AccountIdPath, CurrencyFilter, FirstDay, LastDay
from tallybook.api.presenters import Presenter
from tallybook.api.schemas import StatementOut, StatementSectionOut
from tallybook.ledger.statements import Statement
from tallybook.render.statement_csv import render_statement_csv
from tallybook.render.statement_pdf import render_statement_pdf

router = APIRouter(prefix="/v1/accounts", tags=["reports"])

STATEMENT_FORMATS = (OutputFormat.JSON, OutputFormat.CSV, OutputFormat.PDF)


@router.get(
    "/{account_id}/statement",
    summary="An account's statement: opening, every entry, closing (JSON, CSV or PDF)",
    response_model=StatementOut,
    responses={
        **problem_responses(404),
        200: {
            "description": "the statement",
            "content": {MEDIA_TYPES[OutputFormat.CSV]: {}, MEDIA_TYPES[OutputFormat.PDF]: {}},
        },
    },
)
def statement(
    account_id: AccountIdPath,
    caller: ReadCaller,
    first_day: FirstDay,
    last_day: LastDay,
    currency: CurrencyFilter = None,
    format: Annotated[
        OutputFormat | None,
        Query(description="json, csv or pdf; else the Accept header", examples=["pdf"]),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response | StatementOut:
    caller.account(account_id)
    chosen = negotiate(format, accept, STATEMENT_FORMATS)
    found = caller.ledger.statement(caller.tenant_id, account_id, first_day, last_day, currency)
    if chosen is OutputFormat.JSON:
        presenter = Presenter.for_tenant(caller.ledger, caller.tenant_id)
        return _as_json(presenter, found, first_day, last_day)
    body = (
        render_statement_pdf(found)
        if chosen is OutputFormat.PDF
        else render_statement_csv(found).encode()
    )
    filename = f"statement-{found.account.external_id}-{first_day}-{last_day}.{chosen.value}"
    return Response(
        body,
        media_type=MEDIA_TYPES[chosen],
        headers={"Content-Disposition": f'attachment; filename="{_safe(filename)}"'},
    )


def _safe(filename: str) -> str:
    """A filename header value: external ids are the platform's, so keep only plain chars."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)


def _as_json(
    presenter: Presenter, found: Statement, first_day: date, last_day: date
) -> StatementOut:
    return StatementOut(
        tenant_name=found.tenant.name,
        account_id=found.account.id,
        account_external_id=found.account.external_id,
        account_name=found.account.name,
        period_from=first_day,
        period_to=last_day,
        time_zone=found.tenant.time_zone,
        start=found.period.start,
        end=found.period.end,
        sections=[
            StatementSectionOut(
                currency=section.currency,
                opening=presenter.money(section.opening, section.currency),
                credits=presenter.money(section.credits, section.currency),
                debits=presenter.money(section.debits, section.currency),
                closing=presenter.money(section.closing, section.currency),
                entries=[presenter.entry(line) for line in section.lines],
            )
            for section in found.sections
        ],
    )
