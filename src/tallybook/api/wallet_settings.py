"""`/v1/wallet`: the tenant's wallet settings (top-up expiry, withdrawal fee and limits) and
its payment channels with their callback secrets. Anyone with a key may read them (a client
can show the fee before a withdrawal); changing them needs an admin key for the whole tenant."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter

from tallybook.api.caller import AdminCaller, Caller, ReadCaller
from tallybook.api.openapi import problem_responses
from tallybook.api.parameters import ChannelPath
from tallybook.api.schemas import decimal_of
from tallybook.api.wallet_presenters import WalletPresenter
from tallybook.api.wallet_schemas import (
    ChannelConfigure,
    ChannelConfigured,
    ChannelOut,
    WalletSettingsOut,
    WalletSettingsUpdate,
)
from tallybook.ledger import errors
from tallybook.wallet import settings
from tallybook.wallet.settings import RulesChange, SettingsChange

router = APIRouter(prefix="/v1/wallet", tags=["wallet settings"])


def _require_tenant_wide(caller: Caller) -> None:
    if not caller.scope.is_tenant_wide:
        raise errors.Forbidden(
            "wallet settings belong to the whole tenant: use a key that is not scoped",
            field="authorization",
        )


def _present(caller: Caller) -> WalletSettingsOut:
    presenter = WalletPresenter.for_tenant(caller.ledger, caller.tenant_id)
    return presenter.settings(settings.get_settings(caller.ledger, caller.tenant_id))


@router.get("/settings", summary="The tenant's wallet settings", responses=problem_responses())
def get_settings(caller: ReadCaller) -> WalletSettingsOut:
    return _present(caller)


@router.patch(
    "/settings",
    summary="Change top-up expiry, withdrawal fee and limits (admin)",
    responses=problem_responses(403),
)
def update_settings(body: WalletSettingsUpdate, caller: AdminCaller) -> WalletSettingsOut:
    _require_tenant_wide(caller)
    change = SettingsChange(
        topup_expiry_seconds=body.topup_expiry_seconds,
        withdrawal_fee_percent=(
            None if body.withdrawal_fee_percent is None else Decimal(body.withdrawal_fee_percent)
        ),
        withdrawal_rules=(
            None
            if body.withdrawal_rules is None
            else {
                currency: RulesChange(
                    fee_fixed=decimal_of(rules.fee_fixed),
                    minimum=decimal_of(rules.minimum),
                    daily_maximum=(
                        None if rules.daily_maximum is None else decimal_of(rules.daily_maximum)
                    ),
                )
                for currency, rules in body.withdrawal_rules.items()
            }
        ),
    )
    settings.update_settings(caller.ledger, caller.tenant_id, change)
    return _present(caller)


@router.get(
    "/channels",
    summary="Payment channels: the built-in ones and the tenant's own",
    responses=problem_responses(),
)
def list_channels(caller: ReadCaller) -> list[ChannelOut]:
    return [
        ChannelOut(name=c.name, built_in=c.built_in, has_callback_secret=c.has_callback_secret)
        for c in settings.channels(caller.ledger, caller.tenant_id)
    ]


@router.put(
    "/channels/{channel}",
    summary="Add a channel or set its callback secret (admin; the secret is shown once)",
    responses=problem_responses(403),
)
def configure_channel(
    channel: ChannelPath, caller: AdminCaller, body: ChannelConfigure | None = None
) -> ChannelConfigured:
    _require_tenant_wide(caller)
    body = body or ChannelConfigure()
    configured, secret = settings.configure_channel(
        caller.ledger, caller.tenant_id, channel, body.callback_secret
    )
    return ChannelConfigured(
        name=configured.name,
        built_in=configured.name in settings.BUILT_IN_CHANNELS,
        has_callback_secret=True,
        callback_secret=secret,
    )
