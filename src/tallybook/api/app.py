"""`create_app`: the ASGI application, its lifespan (the ledger's engine, hold expiry) and
its routers."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from tallybook.api import (
    accounts,
    api_keys,
    callbacks,
    currencies,
    entries,
    health,
    metrics,
    openapi,
    orders,
    problems,
    reports,
    statements,
    sub_accounts,
    topups,
    transfers,
    wallet_settings,
    withdrawals,
)
from tallybook.api.access_log import AccessLog, AccessLogWriter
from tallybook.api.body_limit import BodyLimit
from tallybook.api.expiry import expire_forever
from tallybook.api.fast_lane import FastLane
from tallybook.api.query_strictness import refuse_unknown_query_parameters
from tallybook.api.request_observers import ObservedRequests, RequestObserver
from tallybook.api.unstorable_text import refuse_unstorable_text
from tallybook.ledger import Ledger
from tallybook.settings import Settings
from tallybook.surfaces import mount_surfaces

DESCRIPTION = """
Tallybook holds your customers' prepaid money: accounts with balances per currency,
transfers (posted at once, or holds that are later posted or voided), reversals, and a
permanent balance history with the balance before and after every change. Over it, the wallet
flows: top-ups through payment channels (confirmed by an admin or a signed callback),
withdrawals with review, orders with refunds, and sub-account funding.

**Auth**: `Authorization: Bearer tb_...` or `X-API-Key: tb_...`.
**Amounts** are decimal strings in the currency's major unit (`"12.50"`), never numbers.
**Retries**: send `Idempotency-Key` on every POST that moves money; a retry answers the
first response again with `Idempotent-Replayed: true`.
**Errors** are `application/problem+json` with a stable `code` and the `field` to blame.
"""


class TallybookApp(FastAPI):
    """FastAPI with `front` (the request observers, then the fast lane) in front of its
    middleware: see `fast_lane` why."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self  # as Starlette sets it: handlers find the ledger there
        await self.front(scope, receive, send)

    async def through_middleware(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app as FastAPI serves it: its middleware, then its router."""
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, ledger: Ledger | None = None) -> FastAPI:
    """Build the app. With `ledger` given (tests), the caller owns its start and close."""
    settings = settings or Settings()
    owns_ledger = ledger is None
    the_ledger = ledger or Ledger.from_settings(settings)

    # No standard output at all (closed by the caller): nothing to write the log to.
    access_log = (
        AccessLogWriter(sys.stdout) if settings.access_log and sys.stdout is not None else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            async with _running(the_ledger, settings, owns_ledger):
                yield
        finally:
            if access_log is not None:
                access_log.flush()

    app = TallybookApp(
        title="Tallybook",
        version="0.1.0",
        summary="A wallet and balance ledger service: double-entry, exact, idempotent.",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(refuse_unstorable_text), Depends(refuse_unknown_query_parameters)],
        # Tallybook has its own metrics (/metrics), and the fast lane answers past FastAPI's
        # telemetry middleware: OpenTelemetry spans, metrics and logs would miss its requests.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.ledger = the_ledger
    app.state.declared_query_parameters = {}
    problems.install(app)
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)  # the innermost
    observers: list[RequestObserver] = []
    if settings.metrics_enabled:
        observers.append(metrics.install(app, the_ledger.engine).observe_request)
    if access_log is not None:
        observers.append(AccessLog(access_log))
    # The observers' middleware is the outermost, in front of the lane: it times every
    # request once, whether the lane or the app answers it.
    lane = FastLane(app.through_middleware, max_body_bytes=settings.max_body_bytes)
    app.front = ObservedRequests(lane, observers=observers) if observers else lane
    # The busiest first: the app tries its included routers in turn, and each walk through
    # one costs (a tenth of a history page's time when entries came tenth), so transfers,
    # then the account and history reads, are matched before the others are tried.
    for router in (
        transfers.router,
        accounts.router,
        entries.router,
        health.router,
        sub_accounts.router,
        topups.router,
        callbacks.router,
        withdrawals.router,
        orders.router,
        wallet_settings.router,
        reports.router,
        statements.router,
        currencies.router,
        api_keys.router,
    ):
        app.include_router(router)
    openapi.install(app)
    mount_surfaces(app, the_ledger, settings)
    return app


@asynccontextmanager
async def _running(ledger: Ledger, settings: Settings, owns_ledger: bool) -> AsyncIterator[None]:
    """While the app serves: the engine's batches on its event loop (on SQLite, see
    `ledger.lanes`); when the app owns the ledger, the ledger's engine and the hold expiry too
    (tests that pass their own start and close it themselves)."""
    if not owns_ledger:
        async with ledger.engine.on_event_loop():
            yield
        return
    with ledger:
        async with ledger.engine.on_event_loop(), _expiring(ledger, settings):
            yield


@asynccontextmanager
async def _expiring(ledger: Ledger, settings: Settings) -> AsyncIterator[None]:
    """The hold expiry task (`expiry.expire_forever`), cancelled on leaving."""
    expiry = asyncio.create_task(expire_forever(ledger, settings.hold_expiry_interval_seconds))
    try:
        yield
    finally:
        expiry.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await expiry
