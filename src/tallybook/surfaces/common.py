"""What every seed surface needs from the core, phrased once: the mounted application, the
caller behind a key, the tenant's time zone and its currencies' decimals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request

from tallybook.api.caller import Caller, caller_for
from tallybook.api.presenters import Presenter
from tallybook.api.unstorable_text import refuse_unstorable_text
from tallybook.ledger import Ledger, errors

SEED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # all three seeds write times as yyyy-MM-dd HH:mm:ss
MAX_PARAMETER_LENGTH = 64
# Larger page numbers and offsets are refused: a thousand rows a page times this still fits
# the databases' 64-bit OFFSET.
MAX_WHOLE_NUMBER = 10**15


class BadParameter(Exception):
    """A query parameter a surface cannot read; each surface renders it in its envelope."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def whole_number(name: str, raw: str | None, *, default: int, minimum: int) -> int:
    """A query parameter that must be an integer of at least `minimum`; absent or empty (as
    the seeds' clients send unused parameters) it is `default`."""
    text = (raw or "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > MAX_PARAMETER_LENGTH:
        raise BadParameter(name, f"must be a whole number, not {text[:MAX_PARAMETER_LENGTH]!r}")
    value = int(text)
    if not minimum <= value <= MAX_WHOLE_NUMBER:
        raise BadParameter(name, f"must be {minimum} to {MAX_WHOLE_NUMBER}")
    return value


def short_text(name: str, raw: str | None, max_length: int) -> str | None:
    """A text parameter; absent or empty means "no filter"."""
    if not raw:
        return None
    if len(raw) > max_length:
        raise BadParameter(name, f"is at most {max_length} characters")
    return raw


def surface_app(ledger: Ledger, title: str) -> FastAPI:
    """A mounted application for one surface: its own error handlers, no docs of its own (the
    seeds' documents are the docs; docs/compat.md says how they map), and the native API's
    refusal of the NUL character, which each surface's validation handler words its way."""
    app = FastAPI(
        title=title,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_unstorable_text)],
    )
    app.state.ledger = ledger
    return app


def ledger_of(request: Request) -> Ledger:
    ledger = request.app.state.ledger
    assert isinstance(ledger, Ledger)
    return ledger


def identify(request: Request, key: str | None, header: str) -> Caller:
    """The caller behind the key sent in `header`; the core's Unauthenticated (which each
    surface renders its way) when the key is missing, unknown or revoked."""
    caller = caller_for(ledger_of(request), key)
    if caller is None:
        raise errors.Unauthenticated(f"no valid {header}")
    return caller


@dataclass(frozen=True, slots=True)
class TenantStyle:
    """How the caller's tenant writes money and time: decimals per currency, time zone."""

    presenter: Presenter
    zone: ZoneInfo

    @classmethod
    def of(cls, caller: Caller) -> TenantStyle:
        tenant = caller.ledger.get_tenant(caller.tenant_id)
        return cls(
            Presenter.for_tenant(caller.ledger, caller.tenant_id), ZoneInfo(tenant.time_zone)
        )

    def money(self, minor: int, currency: str) -> str:
        return self.presenter.money(minor, currency)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def iso(self, moment: datetime) -> str:
        """`moment` in the tenant's time zone as ISO 8601 with its offset, as DRF's
        DateTimeField writes it."""
        return self.local(moment).isoformat()

    def time(self, moment: datetime) -> str:
        """`moment` in the tenant's time zone as yyyy-MM-dd HH:mm:ss."""
        return self.local(moment).strftime(SEED_TIME_FORMAT)
