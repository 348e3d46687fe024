"""`/v1/callbacks/{tenant_id}/{channel}`: a payment channel reports a top-up paid or failed.

No API key: the request is signed with the tenant's secret for the channel (see
`wallet.callbacks`), in two headers:

    X-Tallybook-Timestamp: 1795000000            (Unix seconds)
    X-Tallybook-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>

The signature is checked on the raw body before it is parsed. A bad or missing signature and a
timestamp more than five minutes off are 401; a callback repeated for a top-up that already
succeeded with the same payment reference answers 200 and credits nothing more.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path, Request
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from tallybook.api.dependencies import LedgerDep
from tallybook.api.openapi import problem_response, problem_responses
from tallybook.api.parameters import TenantIdPath
from tallybook.api.wallet_presenters import WalletPresenter
from tallybook.api.wallet_schemas import ChannelCallback, TopUpOut
from tallybook.ledger import Ledger, errors
from tallybook.wallet import callbacks, topups
from tallybook.wallet_model import ConfirmedVia

router = APIRouter(prefix="/v1/callbacks", tags=["top-ups"])

TIMESTAMP_HEADER = "X-Tallybook-Timestamp"
SIGNATURE_HEADER = "X-Tallybook-Signature"

CallbackChannel = Annotated[
    str,
    Path(
        description="the channel reporting: the top-up must be one of its, and its callback "
        "secret signs the request",
        examples=["alipay"],
    ),
]
Timestamp = Annotated[
    str | None,
    Header(
        alias=TIMESTAMP_HEADER,
        description="when the channel signed the request, in Unix seconds; refused more than "
        "300 seconds off the server's clock",
        examples=["1795000000"],
    ),
]
Signature = Annotated[
    str | None,
    Header(
        alias=SIGNATURE_HEADER,
        description="`sha256=` and the hex HMAC-SHA256, keyed with the channel's callback "
        "secret, of the timestamp, `.` and the raw body",
        examples=["sha256=3f1c9a5e0b7d2c4f6a8e1b3d5c7f9a0e2b4d6c8f0a1e3b5d7c9f1a2b4c6d8e0f"],
    ),
]


@router.post(
    "/{tenant_id}/{channel}",
    summary="A payment channel's signed report on a top-up (no API key)",
    responses={
        **problem_responses(),
        401: problem_response(
            401,
            "a missing, malformed or wrong signature (`invalid_signature`), or a timestamp "
            "more than 300 seconds off (`stale_timestamp`)",
        ),
        404: problem_response(404, "no such top-up of this channel in the tenant"),
        409: problem_response(
            409,
            "the top-up already failed or expired, or succeeded with another external "
            "reference (`invalid_state`, `topup_expired`)",
        ),
    },
    openapi_extra={
        # Signed, not authenticated by an API key: no security scheme applies.
        "security": [],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ChannelCallback.model_json_schema()}},
        },
    },
)
async def channel_callback(
    tenant_id: TenantIdPath,
    channel: CallbackChannel,
    request: Request,
    ledger: LedgerDep,
    timestamp: Timestamp = None,
    signature: Signature = None,
) -> TopUpOut:
    # The signature covers the raw bytes, so the body is read here rather than parsed by
    # FastAPI; the ledger calls block, so they run on the thread pool like other routes.
    body = await request.body()
    return await run_in_threadpool(_handle, ledger, tenant_id, channel, timestamp, signature, body)


def _handle(
    ledger: Ledger,
    tenant_id: UUID,
    channel: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
) -> TopUpOut:
    callbacks.verify(ledger, tenant_id, channel, timestamp, signature, body)
    try:
        report = ChannelCallback.model_validate_json(body)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise errors.ValidationError(f"{field}: {first['msg']}", field=field) from exc
    if report.status == "succeeded":
        if report.external_reference is None:
            raise errors.ValidationError(
                "a succeeded callback carries the payment's external_reference",
                field="external_reference",
            )
        result = topups.confirm(
            ledger,
            tenant_id,
            report.topup_id,
            report.external_reference,
            via=ConfirmedVia.CALLBACK,
            channel=channel,
            operator=f"channel:{channel}",
        )
    else:
        result = topups.fail(
            ledger,
            tenant_id,
            report.topup_id,
            reason=report.reason,
            channel=channel,
            operator=f"channel:{channel}",
        )
    presenter = WalletPresenter.for_tenant(ledger, tenant_id)
    return presenter.topup(result.record, ledger.clock.now())
