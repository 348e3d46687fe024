"""Errors as Django REST Framework writes them.

`{"detail": "..."}` for 401, 403, 404, 405, 415 and 503; `{"field": ["message", ...]}` with
400 for invalid input (`non_field_errors` when no single field is to blame). The messages are
DRF's own where DRF has one, so a client that shows or matches them keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tallybook.ledger import errors
from tallybook.surfaces.common import BadParameter

NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_FOUND = "Not found."
INVALID_PAGE = "Invalid page."
NON_FIELD_ERRORS = "non_field_errors"
# DRF's TokenAuthentication answers 401 with this challenge; Bearer is accepted too.
AUTHENTICATE_HEADERS = {"WWW-Authenticate": "Token"}

# The core names the inputs it blames in its own words; these are the serializer fields
# (SetBalance's `target` is the wallet's `balance`, a flow's account is its `wallet`). Any
# other blame is non_field_errors.
_FIELD_NAMES = {
    "target": "balance",
    "account_id": "wallet",
    "amount": "amount",
    "currency": "currency",
    "channel": "channel",
}


class DrfError(Exception):
    """An error with DRF's `{"detail": ...}` body."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


class InvalidInput(Exception):
    """DRF's ValidationError: 400 with the messages of each field."""

    def __init__(self, messages: Mapping[str, Sequence[str]]) -> None:
        super().__init__(dict(messages))
        self.messages = {field: list(texts) for field, texts in messages.items()}


def _detail(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=dict(headers or {}))


def _of_ledger_error(error: errors.LedgerError) -> JSONResponse:
    """The one place that decides what each core error looks like on this surface."""
    if isinstance(error, errors.Unauthenticated):
        return _detail(401, INVALID_TOKEN, AUTHENTICATE_HEADERS)
    if isinstance(error, errors.Forbidden):
        return _detail(403, PERMISSION_DENIED)
    if isinstance(error, errors.NotFound):
        return _detail(404, NOT_FOUND)
    if isinstance(error, errors.EngineUnavailable):
        return _detail(503, "Service temporarily unavailable, try again later.")
    field = _FIELD_NAMES.get(error.field or "", NON_FIELD_ERRORS)
    return JSONResponse({field: [error.message]}, status_code=400)


def install(app: FastAPI) -> None:
    async def drf_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DrfError)
        return _detail(error.status, error.detail, error.headers)

    async def invalid_input(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, InvalidInput)
        return JSONResponse(error.messages, status_code=400)

    async def bad_parameter(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BadParameter)
        return JSONResponse({error.name: [error.message]}, status_code=400)

    async def ledger_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.LedgerError)
        return _of_ledger_error(error)

    async def validation_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        messages: dict[str, list[str]] = {}
        for issue in error.errors():
            messages.setdefault(str(issue["loc"][-1]), []).append(issue["msg"])
        return JSONResponse(messages, status_code=400)

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return _detail(404, NOT_FOUND)
        if error.status_code == 405:
            return _detail(405, f'Method "{request.method}" not allowed.', error.headers)
        return _detail(error.status_code, str(error.detail), error.headers)

    app.add_exception_handler(DrfError, drf_error)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(BadParameter, bad_parameter)
    app.add_exception_handler(errors.LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
