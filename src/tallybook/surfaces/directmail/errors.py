"""DirectMail's envelope for errors: HTTP 200, `code` 7, `data` null (or `{"reload": true}`
when the token is missing or not a live key, telling the client to sign in again), and `msg`
saying what is wrong — the way services of this family (gin-vue-admin) answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tallybook.ledger import errors
from tallybook.surfaces.common import BadParameter

SUCCESS = 0
ERROR = 7
MISSING_TOKEN = "未登录或非法访问 (not signed in: the x-token header is missing)"
BAD_TOKEN = "令牌无效或已失效 (the x-token is not a valid key, or it was revoked)"


def envelope(code: int, data: Any, msg: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"code": code, "data": data, "msg": msg}, status_code=status)


class MissingToken(Exception):
    """No x-token header at all (a bad one is the core's Unauthenticated)."""


def _message(error: errors.LedgerError) -> str:
    return f"{error.field}: {error.message}" if error.field else error.message


def install(app: FastAPI) -> None:
    async def missing_token(_request: Request, _error: Exception) -> JSONResponse:
        return envelope(ERROR, {"reload": True}, MISSING_TOKEN)

    async def ledger_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.LedgerError)
        if isinstance(error, errors.Unauthenticated):
            return envelope(ERROR, {"reload": True}, BAD_TOKEN)
        return envelope(ERROR, None, _message(error))

    async def bad_parameter(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BadParameter)
        return envelope(ERROR, None, f"{error.name}: {error.message}")

    async def validation_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        issue = error.errors()[0]
        return envelope(ERROR, None, f"{issue['loc'][-1]}: {issue['msg']}")

    async def http_error(_request: Request, error: Exception) -> JSONResponse:
        """Unknown paths and methods keep their HTTP status (as the family's router does)."""
        assert isinstance(error, StarletteHTTPException)
        return envelope(ERROR, None, str(error.detail), status=error.status_code)

    app.add_exception_handler(MissingToken, missing_token)
    app.add_exception_handler(errors.LedgerError, ledger_error)
    app.add_exception_handler(BadParameter, bad_parameter)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
