"""Liveness and readiness, for load balancers and orchestrators (no key needed)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tallybook.api.dependencies import LedgerDep
from tallybook.api.openapi import problem_response
from tallybook.api.problems import problem

router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: Literal["ok"] = Field(description="always `ok`: the process answers", examples=["ok"])


class Ready(BaseModel):
    status: Literal["ready"] = Field(
        description="always `ready`: the database answers and the engine runs", examples=["ready"]
    )


@router.get("/healthz", summary="The process is up")
def healthz() -> Alive:
    return Alive(status="ok")


@router.get(
    "/readyz",
    summary="The database answers and the posting engine runs",
    response_model=Ready,
    responses={503: problem_response(503, "the database or the engine is not available")},
)
def readyz(ledger: LedgerDep) -> JSONResponse:
    if not ledger.engine.running:
        return problem(503, "engine_unavailable", "Engine unavailable", "the engine is stopped")
    if not ledger.database.ping():
        return problem(503, "database_unavailable", "Database unavailable", "no answer")
    return JSONResponse(Ready(status="ready").model_dump())
