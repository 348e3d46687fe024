"""`/v1/reports`: summaries of the balance history per day or month in the tenant's zone."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from tallybook.api.caller import ReadCaller
from tallybook.api.openapi import problem_responses
from tallybook.api.parameters import CurrencyFilter, FirstDay, IncludeSubAccounts, LastDay
from tallybook.api.presenters import Presenter
from tallybook.api.schemas import ACCOUNT_ID, SummaryOut, SummaryRowOut, TypeTotalsOut
from tallybook.ledger.periods import Granularity
from tallybook.ledger.summaries import SummaryQuery, SummaryRow

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/summary",
    summary="Opening, credits, debits, net, closing and count per day or month",
    responses=problem_responses(404),
)
def summary(
    caller: ReadCaller,
    first_day: FirstDay,
    last_day: LastDay,
    period: Annotated[
        Granularity,
        Query(description="`day` (366 at most) or `month` (120)", examples=["month"]),
    ],
    account_id: Annotated[
        UUID | None,
        Query(description="omit for every customer account the key sees", examples=[ACCOUNT_ID]),
    ] = None,
    include_sub_accounts: IncludeSubAccounts = False,
    currency: CurrencyFilter = None,
    by_type: Annotated[
        bool, Query(description="break each row down by transfer type", examples=[True])
    ] = False,
) -> SummaryOut:
    query = SummaryQuery(
        tenant_id=caller.tenant_id,
        account_ids=(
            caller.scope.account_ids  # no account: every customer account the key sees
            if account_id is None
            else caller.accounts_named(account_id, include_sub_accounts)
        ),
        granularity=period,
        first_day=first_day,
        last_day=last_day,
        currency=currency,
        by_type=by_type,
    )
    _calendar, rows = caller.ledger.summary(query)
    presenter = Presenter.for_tenant(caller.ledger, caller.tenant_id)
    return SummaryOut(
        account_id=account_id,
        include_sub_accounts=include_sub_accounts,
        period=period.value,
        time_zone=caller.ledger.get_tenant(caller.tenant_id).time_zone,
        rows=[_row(presenter, row, by_type) for row in rows],
    )


def _row(presenter: Presenter, row: SummaryRow, by_type: bool) -> SummaryRowOut:
    def money(minor: int) -> str:
        return presenter.money(minor, row.currency)

    return SummaryRowOut(
        period=row.period.label,
        start=row.period.start,
        end=row.period.end,
        currency=row.currency,
        opening=money(row.opening),
        credits=money(row.totals.credits),
        debits=money(row.totals.debits),
        net=money(row.totals.net),
        closing=money(row.closing),
        count=row.totals.count,
        by_type=(
            [
                TypeTotalsOut(
                    type=type_,
                    credits=money(totals.credits),
                    debits=money(totals.debits),
                    net=money(totals.net),
                    count=totals.count,
                )
                for type_, totals in row.by_type.items()
            ]
            if by_type
            else None
        ),
    )
