"""`create_app`: the ASGI application, its lifespan (the ledger's engine) and its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tallybook.api import health, problems
from tallybook.ledger import Ledger
from tallybook.settings import Settings


def create_app(settings: Settings | None = None, *, ledger: Ledger | None = None) -> FastAPI:
    """Build the app. With `ledger` given (tests), the caller owns its start and close."""
    owns_ledger = ledger is None
    the_ledger = ledger or Ledger.from_settings(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if owns_ledger:
            the_ledger.start()
        try:
            yield
        finally:
            if owns_ledger:
                the_ledger.close()

    app = FastAPI(
        title="Tallybook",
        version="0.1.0",
        summary="A wallet and balance ledger service: double-entry, exact, idempotent.",
        lifespan=lifespan,
    )
    app.state.ledger = the_ledger
    problems.install(app)
    app.include_router(health.router)
    return app
