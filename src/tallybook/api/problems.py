"""Errors as RFC 9457 `application/problem+json`, with a stable `code` and the `field`.

The core raises `LedgerError`s that know nothing of HTTP; this module is the one place that
decides the status of each for the native API. Seed adapters map the same errors to their own
envelopes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tallybook.ledger import errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://tallybook.dev/problems/"

_STATUS_BY_ERROR: list[tuple[type[errors.LedgerError], int]] = [
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.ValidationError, 422),
    (errors.NotFound, 404),
    (errors.UnknownCurrency, 422),
    (errors.Conflict, 409),
    (errors.EngineUnavailable, 503),
]


def status_of(error: errors.LedgerError) -> int:
    """The HTTP status the native API answers `error` with. A refused batch answers with
    its refused transfer's status: a batch naming an account that does not exist (or that
    the key cannot see) is a 404 like any other request naming it, a malformed one a 422."""
    if isinstance(error, errors.BatchFailed):
        return status_of(error.cause)
    for error_class, status in _STATUS_BY_ERROR:
        if isinstance(error, error_class):
            return status
    return 400


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    field: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
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
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize()


async def _ledger_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.LedgerError)
    status = status_of(error)
    # RFC 9110: a 401 names the scheme that would have been accepted.
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(
        status,
        error.code,
        _title(error.code),
        error.message,
        error.field,
        headers=headers,
        **error.details,
    )


def _invalid_json() -> JSONResponse:
    return problem(
        400, "invalid_json", "Invalid JSON", "the body is not a UTF-8 JSON document", "body"
    )


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    if any(issue["type"] == "json_invalid" for issue in error.errors()):
        # FastAPI reports the byte offset as if it were a field; the body as a whole is to blame.
        return _invalid_json()
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


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """Errors raised by the framework itself: unknown paths, unsupported methods (with their
    `Allow` header), and bodies it could not read as JSON (FastAPI's only 400)."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:
        return _invalid_json()
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        error.status_code, "http_error"
    )
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
    return problem(error.status_code, code, _title(code), str(error.detail), headers=headers)


def _allowed_methods(request: Request, first_route_allows: str) -> str:
    """Every method the path serves. Starlette's `Allow` names only the first route that
    matched the path, but one path may be served by several (GET and POST /v1/accounts).
    A literal path (`/v1/transfers/batch`) is its own resource, not an id of a template."""
    paths = request.app.openapi()["paths"]
    operations = paths.get(request.url.path)
    if operations is not None:
        methods = set(operations)
    else:
        methods = {
            method
            for template, served in paths.items()
            if re.fullmatch(_path_pattern(template), request.url.path)
            for method in served
        }
    return ", ".join(sorted(method.upper() for method in methods)) or first_route_allows


def _path_pattern(template: str) -> str:
    """`/v1/accounts/{account_id}` as a regular expression over request paths."""
    parts = re.split(r"(\{[^/}]+\})", template)
    return "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)


def install(app: FastAPI) -> None:
    """Route every error the API can produce to a problem document."""
    app.add_exception_handler(errors.LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
