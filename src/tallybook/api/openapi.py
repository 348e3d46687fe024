"""The error responses each route documents, as RFC 9457 problem documents, and the touches
the generated OpenAPI document needs so a client generated from it handles every answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from tallybook.api.problems import PROBLEM_MEDIA_TYPE


class ProblemItem(BaseModel):
    """One of several validation problems."""

    field: str = Field(description="the input to blame", examples=["amount"])
    message: str = Field(
        description="what is wrong with it", examples=["String should match pattern"]
    )


class Problem(BaseModel):
    """An error: `code` is stable (branch on it), `field` names the input to blame."""

    type: str = Field(
        description="a URI naming the kind of problem: the base URI and the `code`",
        examples=["https://tallybook.dev/problems/insufficient_funds"],
    )
    title: str = Field(description="a short summary of the kind", examples=["Insufficient funds"])
    status: int = Field(description="the HTTP status code", examples=[409])
    code: str = Field(
        description="stable machine-readable code; see docs/api.md for the list",
        examples=["insufficient_funds"],
    )
    detail: str = Field(
        description="what went wrong with this request, for people",
        examples=["available 5.00 CNY is less than 5.01"],
    )
    field: str | None = Field(
        None,
        description="the input to blame: a body field (`transfers[3].amount`), a query or path "
        "parameter, a header (`authorization`), or `body` for the body as a whole",
        examples=["amount"],
    )
    errors: list[ProblemItem] | None = Field(
        None, description="every validation problem, when a request has several"
    )


_DESCRIPTIONS = {
    400: "the body is not a UTF-8 JSON document",
    401: "no valid API key (missing, unknown and revoked keys get the same answer)",
    403: "the key's role does not allow this",
    404: "no such object in the key's tenant and scope",
    409: "the request conflicts with the current state (funds, status, idempotency key)",
    413: "the body is larger than the limit",
    422: "a field is invalid; `field` names it",
    503: "the ledger cannot take writes right now; retry with the same Idempotency-Key",
}
# Errors the framework raises for any route that reads a body, before the handler runs.
_BODY_ERRORS = (400, 413)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error statuses, plus 401 and 422 that every route has.

    Routes that take a body also get 400 and 413, added by `install`."""
    wanted = sorted({401, 422, *statuses})
    return {status: problem_response(status) for status in wanted}


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    return {"model": Problem, "description": description or _DESCRIPTIONS[status]}


def install(app: FastAPI) -> None:
    """Finish the generated document: problem documents under `application/problem+json`
    (the media type they are sent with), and the body errors on every route with a body."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for path_item in document["paths"].values():
                for operation in path_item.values():
                    _finish(operation)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _finish(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    if "requestBody" in operation:
        problem_schema = {"$ref": "#/components/schemas/Problem"}
        for status in _BODY_ERRORS:
            responses.setdefault(
                str(status),
                {
                    "description": _DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": problem_schema}},
                },
            )
    for status, response in responses.items():
        content = response.get("content", {})
        if int(status) >= 400 and "application/json" in content:
            content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    operation["responses"] = dict(sorted(responses.items()))
