"""`/v1/currencies`: the tenant's currencies and their decimals."""

from __future__ import annotations

from fastapi import APIRouter

from tallybook.api.caller import AdminCaller, ReadCaller
from tallybook.api.openapi import problem_responses
from tallybook.api.parameters import CurrencyCodePath
from tallybook.api.schemas import CurrencyConfigure, CurrencyOut
from tallybook.ledger import errors

router = APIRouter(prefix="/v1/currencies", tags=["currencies"])


@router.get("", summary="List the tenant's currencies", responses=problem_responses())
def list_currencies(caller: ReadCaller) -> list[CurrencyOut]:
    currencies = sorted(caller.ledger.currencies(caller.tenant_id), key=lambda c: c.code)
    return [CurrencyOut(code=c.code, decimals=c.decimals) for c in currencies]


@router.put(
    "/{code}",
    summary="Add a currency, or set its decimals while nothing uses it",
    responses=problem_responses(403, 409),
)
def configure_currency(
    caller: AdminCaller,
    code: CurrencyCodePath,
    body: CurrencyConfigure | None = None,
) -> CurrencyOut:
    if not caller.scope.is_tenant_wide:
        # Currencies are the whole tenant's; a key scoped to some accounts must not change them.
        raise errors.Forbidden(
            "configuring currencies needs a key that is not scoped to an account",
            field="authorization",
        )
    decimals = None if body is None else body.decimals
    currency = caller.ledger.configure_currency(caller.tenant_id, code, decimals)
    return CurrencyOut(code=currency.code, decimals=currency.decimals)
