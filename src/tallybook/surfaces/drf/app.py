"""The DRF surface's application: its error handlers and its resources."""

from __future__ import annotations

from fastapi import FastAPI

from tallybook.ledger import Ledger
from tallybook.settings import Settings
from tallybook.surfaces.common import surface_app
from tallybook.surfaces.drf import balance_in, balance_out, errors, wallets

PREFIX = "/api/balance"


def create_app(ledger: Ledger, settings: Settings) -> FastAPI:
    app = surface_app(ledger, "Tallybook: DRF-style balance API")
    app.state.settings = settings
    errors.install(app)
    app.include_router(wallets.router)
    app.include_router(balance_in.router)
    app.include_router(balance_out.router)
    return app
