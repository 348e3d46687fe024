"""The ceiling of the HTTP layer: a bare FastAPI POST endpoint, served exactly as Tallybook is
(uvicorn, the same workers, its defaults but for the same HTTP protocol, one write a
response), that parses the same transfer body into a Pydantic model and answers 201 with a
transfer-shaped JSON body, touching no database.

What any FastAPI service pays to answer a transfer on this machine. (Tallybook's usual
transfer skips some of it, FastAPI's middleware and router among them: `api/fast_lane.py`.)
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    debit_account_id: str = Field(min_length=1, max_length=64)
    credit_account_id: str = Field(min_length=1, max_length=64)
    amount: str = Field(pattern=r"^\d{1,18}(\.\d{1,6})?$")
    currency: str = Field(pattern=r"^[A-Z][A-Z0-9]{2,9}$")
    type: str = Field(max_length=32)


def create_app() -> FastAPI:
    app = FastAPI(title="HTTP ceiling")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/transfers", status_code=201)
    async def create_transfer(body: TransferBody) -> dict[str, Any]:
        return {
            "id": str(uuid4()),
            "debit_account_id": body.debit_account_id,
            "credit_account_id": body.credit_account_id,
            "amount": body.amount,
            "currency": body.currency,
            "type": body.type,
            "status": "posted",
        }

    return app
