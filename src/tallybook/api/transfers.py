"""`/v1/transfers`: move money, place and resolve holds, reverse, batch, read and list.

Every POST here moves money and takes an `Idempotency-Key`. The handlers only translate: they
resolve `@world`-style account references, check the key's scope, build a core command and
present its result.

The two hot paths, `POST /v1/transfers` and `POST /v1/transfers/batch`, are `async`: they
await the engine's future (`engine_waiter`: one loop wake-up per batch) instead of blocking a
threadpool thread until the batch commits, so many concurrent clients do not exhaust the
threadpool (40 threads). Building the command and presenting the result run in place when
they read nothing (the usual case: a tenant-wide key, known system accounts, remembered
decimals); when they would read (a scoped key's accounts, a system account's first use, a
replay) they run in the threadpool, so the event loop never waits on the database. The usual
single transfer also skips FastAPI's dependency machinery (`direct_route`)."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tallybook.api.caller import Caller, ReadCaller, WriteCaller, remembered_caller
from tallybook.api.direct_route import direct_route
from tallybook.api.engine_waits import engine_waiter
from tallybook.api.idempotency import IdempotencyKey, mark_replay, well_formed_idempotency_key
from tallybook.api.openapi import problem_responses
from tallybook.api.pagination import (
    CursorParameter,
    LimitParameter,
    ListPage,
    Order,
    OrderParameter,
    page_of,
    window,
)
from tallybook.api.parameters import (
    CreatedFrom,
    CreatedTo,
    CurrencyFilter,
    OrderNumberFilter,
    TransferIdPath,
    TypeFilter,
)
from tallybook.api.presenters import Presenter
from tallybook.api.problems import status_of
from tallybook.api.schemas import (
    ACCOUNT_ID,
    BatchCreate,
    BatchItemOut,
    BatchItemProblem,
    BatchOut,
    PostHold,
    Resolution,
    TransferCreate,
    TransferOut,
    decimal_of,
)
from tallybook.ledger import errors
from tallybook.ledger.commands import (
    Command,
    CreateTransfer,
    PostingResult,
    PostPending,
    ReverseTransfer,
    TransferBatch,
    VoidPending,
    batch_member_key,
)
from tallybook.ledger.queries import TransferQuery
from tallybook.model import References, Role, SystemAccount, Transfer, TransferStatus

router = APIRouter(prefix="/v1/transfers", tags=["transfers"])

WRITE_ERRORS = problem_responses(403, 404, 409, 503)
JSON = "application/json"


def _account_id(caller: Caller, reference: str, currency: str) -> UUID:
    if reference.startswith("@"):
        which = SystemAccount(reference[1:])
        return caller.ledger.system_account(caller.tenant_id, which, currency).id
    return UUID(reference)


def _known_account_id(caller: Caller, reference: str, currency: str) -> UUID | None:
    """`_account_id` when it needs no read (an id, or a system account already known)."""
    if not reference.startswith("@"):
        return UUID(reference)
    which = SystemAccount(reference[1:])
    known = caller.ledger.known_system_account(caller.tenant_id, which, currency)
    return None if known is None else known.id


def _command(caller: Caller, body: TransferCreate, key: str | None) -> CreateTransfer:
    debit = _account_id(caller, body.debit_account_id, body.currency)
    credit = _account_id(caller, body.credit_account_id, body.currency)
    if not caller.scope.is_tenant_wide:
        caller.scope.require_account(debit, "debit_account_id")
        credit_account = caller.tenant_account(credit, "credit_account_id")
        caller.scope.require_may_pay(debit, credit_account)
    return _transfer_command(caller, body, key, debit, credit)


def _command_without_reads(
    caller: Caller, body: TransferCreate, key: str | None
) -> CreateTransfer | None:
    """`_command` when building it reads nothing (a tenant-wide key; accounts given by id or
    system accounts already known), so async code may build it in place; None otherwise."""
    if not caller.scope.is_tenant_wide:
        return None
    debit = _known_account_id(caller, body.debit_account_id, body.currency)
    credit = _known_account_id(caller, body.credit_account_id, body.currency)
    if debit is None or credit is None:
        return None
    return _transfer_command(caller, body, key, debit, credit)


def _transfer_command(
    caller: Caller, body: TransferCreate, key: str | None, debit: UUID, credit: UUID
) -> CreateTransfer:
    return CreateTransfer(
        tenant_id=caller.tenant_id,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=decimal_of(body.amount),
        currency=body.currency,
        type=body.type,
        references=References(
            order_number=body.order_number,
            receipt_id=body.receipt_id,
            invoice_id=body.invoice_id,
            channel=body.channel,
            country_code=body.country_code,
            tags=tuple(body.tags),
            note=body.note,
            operator=body.operator,
            metadata=body.metadata,
        ),
        pending=body.pending,
        timeout_seconds=body.timeout_seconds,
        idempotency_key=key,
    )


def present_result(caller: Caller, result: PostingResult, response: Response) -> list[TransferOut]:
    result = caller.ledger.as_first_written(result)
    mark_replay(response, result.replayed)
    presenter = Presenter.for_written(caller.ledger, caller.tenant_id, result.transfers)
    return [presenter.transfer(transfer) for transfer in result.transfers]


def _present_without_reads(
    caller: Caller, result: PostingResult, response: Response
) -> list[TransferOut] | None:
    """`present_result` when it reads nothing (a first answer, its currencies' decimals
    remembered), so async code may present in place; None otherwise."""
    if result.replayed:
        return None
    decimals = caller.ledger.known_decimals_in_use(
        caller.tenant_id, {transfer.currency for transfer in result.transfers}
    )
    if decimals is None:
        return None
    presenter = Presenter(decimals)
    return [presenter.transfer(transfer) for transfer in result.transfers]


async def _posted(caller: Caller, command: Command, response: Response) -> list[TransferOut]:
    """Submit, wait for the commit without holding a thread, present."""
    result = await engine_waiter(caller.ledger.submit(command))
    presented = _present_without_reads(caller, result, response)
    if presented is None:
        presented = await run_in_threadpool(present_result, caller, result, response)
    return presented


def _visible_transfer(caller: Caller, transfer_id: UUID) -> Transfer:
    transfer = caller.ledger.get_transfer(caller.tenant_id, transfer_id)
    caller.scope.require_transfer(transfer)
    return transfer


def _require_own_hold(caller: Caller, transfer_id: UUID) -> None:
    """Only a key that sees the hold's debited account may post or void it."""
    hold = _visible_transfer(caller, transfer_id)
    caller.scope.require_account(hold.debit_account_id, "transfer_id")


async def create_transfer(
    body: TransferCreate,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TransferOut:
    command = _command_without_reads(caller, body, idempotency_key)
    if command is None:
        command = await run_in_threadpool(_command, caller, body, idempotency_key)
    return (await _posted(caller, command, response))[0]


async def _usual_transfer_request(request: Request, response: Response) -> dict[str, Any] | None:
    """`create_transfer`'s arguments, resolved by hand for the usual request: no query
    string, a JSON body that is a valid `TransferCreate`, a well-formed `Idempotency-Key` or
    none, and a tenant-wide write key this process remembers. None for anything else, which
    FastAPI's dependencies then resolve (or refuse) as for any route. See `direct_route`."""
    if request.scope["query_string"] or request.headers.get("content-type") != JSON:
        return None
    if not well_formed_idempotency_key(request):
        return None
    caller = await remembered_caller(request, Role.WRITE)
    if caller is None:
        return None
    try:
        body = TransferCreate.model_validate(await request.json())
    except (ValueError, ValidationError):  # not JSON, or not a valid transfer
        return None
    return {
        "body": body,
        "caller": caller,
        "response": response,
        "idempotency_key": request.headers.get("idempotency-key"),
    }


router.add_api_route(
    "",
    create_transfer,
    methods=["POST"],
    status_code=201,
    summary="Move money, or place a hold",
    responses=WRITE_ERRORS,
    route_class_override=direct_route(_usual_transfer_request),
)


@router.post(
    "/batch",
    status_code=201,
    summary="Up to 1,000 transfers: atomic (all or none) by default",
    responses=WRITE_ERRORS,
)
async def create_batch(
    body: BatchCreate,
    caller: WriteCaller,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> BatchOut:
    if not body.atomic:
        outcomes = await run_in_threadpool(_submit_each, caller, body, idempotency_key)
        pending = [engine_waiter(o) for o in outcomes if isinstance(o, Future)]
        if pending:
            await asyncio.wait(pending)
        results = await run_in_threadpool(_independent_results, caller, outcomes, response)
        return BatchOut(transfers=[], results=results)
    batch = await run_in_threadpool(_atomic_batch, caller, body, idempotency_key)
    return BatchOut(transfers=await _posted(caller, batch, response), results=None)


def _atomic_batch(caller: Caller, body: BatchCreate, key: str | None) -> TransferBatch:
    commands: list[CreateTransfer] = []
    for index, item in enumerate(body.transfers):
        try:
            commands.append(_command(caller, item, None))
        except errors.LedgerError as error:
            raise errors.BatchFailed(index, error) from error
    return TransferBatch(caller.tenant_id, tuple(commands), key)


def _submit_each(
    caller: Caller, body: BatchCreate, key: str | None
) -> list[Future[PostingResult] | errors.LedgerError]:
    return [
        _submitted(caller, item, None if key is None else batch_member_key(key, index))
        for index, item in enumerate(body.transfers)
    ]


def _submitted(
    caller: Caller, item: TransferCreate, key: str | None
) -> Future[PostingResult] | errors.LedgerError:
    """One transfer of a non-atomic batch, on its way to the engine; or, when the API refuses
    it first (an account the key cannot see), its refusal: either way it stands alone."""
    try:
        return caller.ledger.submit(_command(caller, item, key))
    except errors.LedgerError as error:
        return error


def _independent_results(
    caller: Caller,
    outcomes: list[Future[PostingResult] | errors.LedgerError],
    response: Response,
) -> list[BatchItemOut]:
    written = [o.result() for o in outcomes if isinstance(o, Future) and o.exception() is None]
    presenter = Presenter.for_written(
        caller.ledger, caller.tenant_id, [t for result in written for t in result.transfers]
    )
    results: list[BatchItemOut] = []
    replays: list[bool] = []
    for index, outcome in enumerate(outcomes):
        error = outcome if isinstance(outcome, errors.LedgerError) else outcome.exception()
        if error is None:
            assert isinstance(outcome, Future)
            result = caller.ledger.as_first_written(outcome.result())
            replays.append(result.replayed)
            results.append(
                BatchItemOut(index=index, transfer=presenter.transfer(result.transfer), error=None)
            )
        elif isinstance(error, errors.LedgerError):
            results.append(BatchItemOut(index=index, transfer=None, error=_problem(error)))
        else:
            raise error
    mark_replay(response, bool(replays) and all(replays))
    return results


def _problem(error: errors.LedgerError) -> BatchItemProblem:
    return BatchItemProblem(
        status=status_of(error), code=error.code, detail=error.message, field=error.field
    )


@router.get("/{transfer_id}", summary="Get a transfer", responses=problem_responses(404))
def get_transfer(transfer_id: TransferIdPath, caller: ReadCaller) -> TransferOut:
    transfer = _visible_transfer(caller, transfer_id)
    return Presenter.for_tenant(caller.ledger, caller.tenant_id).transfer(transfer)


@router.get("", summary="List transfers", responses=problem_responses(404))
def list_transfers(
    caller: ReadCaller,
    account_id: Annotated[
        UUID | None,
        Query(description="only transfers from or to this account", examples=[ACCOUNT_ID]),
    ] = None,
    type: TypeFilter = None,
    status: Annotated[
        TransferStatus | None,
        Query(description="only transfers in this status", examples=["pending"]),
    ] = None,
    currency: CurrencyFilter = None,
    order_number: OrderNumberFilter = None,
    created_from: CreatedFrom = None,
    created_to: CreatedTo = None,
    limit: LimitParameter = 100,
    cursor: CursorParameter = None,
    order: OrderParameter = Order.NEWEST_FIRST,
) -> ListPage[TransferOut]:
    if account_id is not None:
        caller.account(account_id)
    query = TransferQuery(
        tenant_id=caller.tenant_id,
        account_ids=None if account_id is None else frozenset({account_id}),
        type=type,
        status=status,
        currency=currency,
        order_number=order_number,
        created_from=created_from,
        created_to=created_to,
        within=caller.scope.account_ids,
    )
    page = caller.ledger.list_transfers(query, window(limit, cursor, order, UUID))
    presenter = Presenter.for_tenant(caller.ledger, caller.tenant_id)
    return page_of([presenter.transfer(t) for t in page.items], page.next_key, order)


@router.post(
    "/{transfer_id}/post",
    status_code=201,
    summary="Post a hold, fully or partly (the rest is released)",
    responses=WRITE_ERRORS,
)
def post_hold(
    transfer_id: TransferIdPath,
    caller: WriteCaller,
    response: Response,
    body: PostHold | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TransferOut:
    body = body or PostHold()
    _require_own_hold(caller, transfer_id)
    command = PostPending(
        tenant_id=caller.tenant_id,
        pending_id=transfer_id,
        amount=None if body.amount is None else decimal_of(body.amount),
        note=body.note,
        operator=body.operator,
        idempotency_key=idempotency_key,
    )
    return present_result(caller, caller.ledger.execute(command), response)[0]


@router.post(
    "/{transfer_id}/void",
    status_code=201,
    summary="Release a hold without moving money",
    responses=WRITE_ERRORS,
)
def void_hold(
    transfer_id: TransferIdPath,
    caller: WriteCaller,
    response: Response,
    body: Resolution | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TransferOut:
    body = body or Resolution()
    _require_own_hold(caller, transfer_id)
    command = VoidPending(
        tenant_id=caller.tenant_id,
        pending_id=transfer_id,
        note=body.note,
        operator=body.operator,
        idempotency_key=idempotency_key,
    )
    return present_result(caller, caller.ledger.execute(command), response)[0]


@router.post(
    "/{transfer_id}/reverse",
    status_code=201,
    summary="Move a posted transfer's amount back (once)",
    responses=WRITE_ERRORS,
)
def reverse_transfer(
    transfer_id: TransferIdPath,
    caller: WriteCaller,
    response: Response,
    body: Resolution | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TransferOut:
    body = body or Resolution()
    original = _visible_transfer(caller, transfer_id)
    if not caller.scope.is_tenant_wide:
        # The reversal debits the original credit account: the key must be allowed to pay.
        debited = caller.ledger.get_account(caller.tenant_id, original.debit_account_id)
        caller.scope.require_may_pay(original.credit_account_id, debited)
    command = ReverseTransfer(
        tenant_id=caller.tenant_id,
        transfer_id=transfer_id,
        note=body.note,
        operator=body.operator,
        idempotency_key=idempotency_key,
    )
    return present_result(caller, caller.ledger.execute(command), response)[0]
