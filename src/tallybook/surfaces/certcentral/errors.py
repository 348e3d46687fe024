"""CertCentral's error envelope: `{"errors": [{"code": ..., "message": ...}]}` with the HTTP
status, for every error under the surface's prefix — the core's, parameter errors, unknown
paths and wrong methods alike."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tallybook.ledger import errors
from tallybook.surfaces.common import BadParameter


class CertCentralError(Exception):
    """An error the surface itself finds (a malformed parameter, a missing container)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid_param(name: str, message: str) -> CertCentralError:
    return CertCentralError(400, f"invalid_param|{name}", message)


def _of_bad_parameter(error: BadParameter) -> CertCentralError:
    return invalid_param(error.name, f"{error.name} {error.message}.")


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"code": code, "message": message}]}, status_code=status)


def _of_ledger_error(error: errors.LedgerError) -> CertCentralError:
    """The one place that decides what each core error looks like on this surface."""
    if isinstance(error, errors.Unauthenticated):
        return CertCentralError(
            401, "invalid_api_key", "The API key is missing, unknown or revoked."
        )
    if isinstance(error, errors.Forbidden):
        return CertCentralError(403, "access_denied", error.message)
    if isinstance(error, errors.AccountNotFound):
        return CertCentralError(404, "not_found|container", "Container not found.")
    if isinstance(error, errors.NotFound):
        return CertCentralError(404, "not_found", error.message)
    if isinstance(error, errors.EngineUnavailable):
        return CertCentralError(503, "service_unavailable", error.message)
    if isinstance(error, errors.ValidationError | errors.UnknownCurrency):
        return invalid_param(error.field or "request", error.message)
    return CertCentralError(409, error.code, error.message)


def install(app: FastAPI) -> None:
    async def surface_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, CertCentralError)
        return error_response(error.status, error.code, error.message)

    async def bad_parameter(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BadParameter)
        mapped = _of_bad_parameter(error)
        return error_response(mapped.status, mapped.code, mapped.message)

    async def ledger_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.LedgerError)
        mapped = _of_ledger_error(error)
        return error_response(mapped.status, mapped.code, mapped.message)

    async def validation_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        issue = error.errors()[0]
        name = str(issue["loc"][-1])
        return error_response(400, f"invalid_param|{name}", f"{name}: {issue['msg']}")

    async def http_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return error_response(404, "not_found", "No such endpoint.")
        if error.status_code == 405:
            return error_response(
                405, "method_not_allowed", "This endpoint does not take that method."
            )
        return error_response(error.status_code, "http_error", str(error.detail))

    app.add_exception_handler(CertCentralError, surface_error)
    app.add_exception_handler(BadParameter, bad_parameter)
    app.add_exception_handler(errors.LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
