"""Errors as RFC 9457 `application/problem+json`, with a stable `code` and the `field`.

The core raises `LedgerError`s that know nothing of HTTP; this module is the one place that
decides the status of each for the native API. Seed adapters map the same errors to their own
envelopes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tallybook.ledger import errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://tallybook.dev/problems/"

_STATUS_BY_ERROR: list[tuple[type[errors.LedgerError], int]] = [
    (errors.ValidationError, 422),
    (errors.NotFound, 404),
    (errors.UnknownCurrency, 422),
    (errors.Conflict, 409),
    (errors.EngineUnavailable, 503),
]


def status_of(error: errors.LedgerError) -> int:
    """The HTTP status the native API answers `error` with."""
    for error_class, status in _STATUS_BY_ERROR:
        if isinstance(error, error_class):
            return status
    return 400


def problem(
    status: int, code: str, title: str, detail: str, field: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize()


async def _ledger_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.LedgerError)
    return problem(status_of(error), error.code, _title(error.code), error.message, error.field)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in issue["loc"][1:]) or str(issue["loc"][0]),
            "message": issue["msg"],
        }
        for issue in error.errors()
    ]
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    return problem(
        422,
        "invalid_request",
        "Invalid request",
        f"{first['field']}: {first['message']}",
        first["field"],
        errors=problems,
    )


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        error.status_code, "http_error"
    )
    return problem(error.status_code, code, _title(code), str(error.detail))


def install(app: FastAPI) -> None:
    """Route every error the API can produce to a problem document."""
    app.add_exception_handler(errors.LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
