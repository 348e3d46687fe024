"""The seed APIs: thin adapters that let clients written for other balance services work
against Tallybook with only their base URL and key changed.

Each surface lives in its own package and is a small FastAPI application mounted under its
seed's path prefix, so that everything under that prefix — unknown paths, wrong methods,
malformed parameters — answers in the seed's own envelope. A surface parses its seed's
parameters and headers, calls the ledger core, formats amounts and dates its seed's way and
renders its seed's envelope; it holds no business rule and no SQL. See docs/compat.md.
"""

from __future__ import annotations

from fastapi import FastAPI

from tallybook.ledger import Ledger
from tallybook.settings import Settings
from tallybook.surfaces import certcentral, directmail, drf


def mount_surfaces(app: FastAPI, ledger: Ledger, settings: Settings) -> None:
    """Mount every seed surface the settings leave switched on."""
    if settings.drf_surface_enabled:
        app.mount(drf.PREFIX, drf.create_app(ledger, settings))
    if settings.certcentral_surface_enabled:
        app.mount(certcentral.PREFIX, certcentral.create_app(ledger))
    if settings.directmail_surface_enabled:
        app.mount(directmail.PREFIX, directmail.create_app(ledger))
