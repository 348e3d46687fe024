"""Liveness and readiness, for load balancers and orchestrators (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tallybook.api.dependencies import LedgerDep
from tallybook.api.problems import problem

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers and the posting engine runs",
    responses={503: {"description": "the database or the engine is not available"}},
)
def readyz(ledger: LedgerDep) -> JSONResponse:
    if not ledger.engine.running:
        return problem(503, "engine_unavailable", "Engine unavailable", "the engine is stopped")
    if not ledger.database.ping():
        return problem(503, "database_unavailable", "Database unavailable", "no answer")
    return JSONResponse({"status": "ready"})
