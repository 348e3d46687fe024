"""`Annotated` dependency aliases the routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tallybook.ledger import Ledger


def _ledger(request: Request) -> Ledger:
    ledger = request.app.state.ledger
    assert isinstance(ledger, Ledger)
    return ledger


LedgerDep = Annotated[Ledger, Depends(_ledger)]
