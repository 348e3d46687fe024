"""`Annotated` dependency aliases the routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tallybook.ledger import Ledger


async def _ledger(request: Request) -> Ledger:
    # async although it awaits nothing: FastAPI runs a sync dependency in the threadpool,
    # a hop that costs more than this lookup.
    ledger = request.app.state.ledger
    assert isinstance(ledger, Ledger)
    return ledger


LedgerDep = Annotated[Ledger, Depends(_ledger)]
