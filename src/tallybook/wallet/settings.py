"""A tenant's wallet settings: top-up expiry, withdrawal fee and limits, payment channels.

Settings move no money, so they are written in their own short transactions. A flow reads them
when a request comes in and carries the values in its step: a settings change applies to the
requests made after it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID

from tallybook.ledger import Ledger, errors
from tallybook.ledger.accounts import require_tenant
from tallybook.ledger.money import to_minor_units
from tallybook.storage import accounts_repository, wallet_settings_repository
from tallybook.wallet_model import PaymentChannel, WalletSettings, WithdrawalRules

# The channels every tenant has; a tenant adds its own with `configure_channel`.
BUILT_IN_CHANNELS = ("alipay", "wechat", "card", "bank_transfer", "manual")
CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MIN_TOPUP_EXPIRY_SECONDS = 60
MAX_TOPUP_EXPIRY_SECONDS = 30 * 24 * 3600
MAX_FEE_BASIS_POINTS = 9999  # 99.99 %: a fee never takes the whole withdrawal
MIN_CALLBACK_SECRET_LENGTH = 16
MAX_CALLBACK_SECRET_LENGTH = 128


@dataclass(frozen=True, slots=True)
class RulesChange:
    """A currency's withdrawal rules in major units, replacing the ones it had."""

    fee_fixed: Decimal = Decimal(0)
    minimum: Decimal = Decimal(0)
    daily_maximum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """What an update asks for; None leaves a setting as it is."""

    topup_expiry_seconds: int | None = None
    withdrawal_fee_percent: Decimal | None = None
    withdrawal_rules: Mapping[str, RulesChange] | None = None


def get_settings(ledger: Ledger, tenant_id: UUID) -> WalletSettings:
    with ledger.database.read() as connection:
        return wallet_settings_repository.get_settings(connection, tenant_id)


def update_settings(ledger: Ledger, tenant_id: UUID, change: SettingsChange) -> WalletSettings:
    """Apply `change` all together or not at all.

    Raises ValidationError (expiry out of 60 s to 30 days, a percentage below 0, at 100 or
    above, or with more than two decimals), UnknownCurrency, InvalidAmount (a rule amount with
    too many decimals or negative).
    """
    with ledger.database.write() as connection:
        require_tenant(connection, tenant_id)
        settings = wallet_settings_repository.get_settings(connection, tenant_id)
        if change.topup_expiry_seconds is not None:
            expiry = change.topup_expiry_seconds
            if not MIN_TOPUP_EXPIRY_SECONDS <= expiry <= MAX_TOPUP_EXPIRY_SECONDS:
                raise errors.ValidationError(
                    f"a top-up expires after {MIN_TOPUP_EXPIRY_SECONDS} to "
                    f"{MAX_TOPUP_EXPIRY_SECONDS} seconds",
                    field="topup_expiry_seconds",
                )
            settings = replace(settings, topup_expiry_seconds=expiry)
        if change.withdrawal_fee_percent is not None:
            settings = replace(
                settings,
                withdrawal_fee_basis_points=_basis_points(change.withdrawal_fee_percent),
            )
        if change.withdrawal_rules:
            decimals = {
                c.code: c.decimals
                for c in accounts_repository.list_currencies(connection, [tenant_id])
            }
            rules = dict(settings.withdrawal_rules or {})
            for currency, rules_change in sorted(change.withdrawal_rules.items()):
                if currency not in decimals:
                    raise errors.UnknownCurrency(currency)
                rules[currency] = _rules(currency, rules_change, decimals[currency])
            settings = replace(settings, withdrawal_rules=rules)
        wallet_settings_repository.save_settings(connection, settings, ledger.clock.now())
        return settings


def _basis_points(percent: Decimal) -> int:
    basis_points = percent * 100
    if basis_points != basis_points.to_integral_value():
        raise errors.ValidationError(
            "a fee percentage has at most two decimals", field="withdrawal_fee_percent"
        )
    if not 0 <= basis_points <= MAX_FEE_BASIS_POINTS:
        raise errors.ValidationError(
            "a fee percentage is 0 to 99.99", field="withdrawal_fee_percent"
        )
    return int(basis_points)


def _rules(currency: str, change: RulesChange, decimals: int) -> WithdrawalRules:
    def minor(amount: Decimal, name: str) -> int:
        field = f"withdrawal_rules.{currency}.{name}"
        if amount < 0:
            raise errors.InvalidAmount(field, "the amount must be zero or more")
        return 0 if amount == 0 else to_minor_units(amount, decimals, field=field)

    return WithdrawalRules(
        currency=currency,
        fee_fixed=minor(change.fee_fixed, "fee_fixed"),
        minimum=minor(change.minimum, "minimum"),
        daily_maximum=(
            None
            if change.daily_maximum is None
            else to_minor_units(
                change.daily_maximum,
                decimals,
                field=f"withdrawal_rules.{currency}.daily_maximum",
            )
        ),
    )


# -- payment channels ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelView:
    name: str
    built_in: bool
    has_callback_secret: bool


def channels(ledger: Ledger, tenant_id: UUID) -> list[ChannelView]:
    """The built-in channels and the tenant's own, and which have a callback secret."""
    with ledger.database.read() as connection:
        configured = {
            channel.name: channel
            for channel in wallet_settings_repository.list_channels(connection, tenant_id)
        }
    names = sorted(set(BUILT_IN_CHANNELS) | set(configured))
    return [
        ChannelView(
            name=name,
            built_in=name in BUILT_IN_CHANNELS,
            has_callback_secret=name in configured,
        )
        for name in names
    ]


def require_channel(ledger: Ledger, tenant_id: UUID, channel: str, field: str = "channel") -> None:
    """Raise ValidationError unless `channel` is built in or configured by the tenant."""
    if channel in BUILT_IN_CHANNELS:
        return
    if channel not in {view.name for view in channels(ledger, tenant_id)}:
        raise errors.ValidationError(
            f"unknown channel {channel!r}: use one of {', '.join(BUILT_IN_CHANNELS)} "
            "or configure it first",
            field=field,
        )


def configure_channel(
    ledger: Ledger, tenant_id: UUID, channel: str, callback_secret: str | None = None
) -> tuple[PaymentChannel, str]:
    """Add a channel (or a built-in one's settings) and set its callback secret: the one
    given, or a new random one. Returns the channel and the secret (its only showing).

    Raises ValidationError for a malformed name or a secret of the wrong length.
    """
    if not CHANNEL_NAME.match(channel):
        raise errors.ValidationError(
            "a channel name is 2 to 64 lower-case letters, digits or _, starting with a letter",
            field="channel",
        )
    secret = callback_secret or secrets.token_urlsafe(32)
    if not MIN_CALLBACK_SECRET_LENGTH <= len(secret) <= MAX_CALLBACK_SECRET_LENGTH:
        raise errors.ValidationError(
            f"a callback secret is {MIN_CALLBACK_SECRET_LENGTH} to "
            f"{MAX_CALLBACK_SECRET_LENGTH} characters",
            field="callback_secret",
        )
    with ledger.database.write() as connection:
        require_tenant(connection, tenant_id)
        wallet_settings_repository.save_channel(
            connection, tenant_id, channel, secret, ledger.clock.now()
        )
        configured = wallet_settings_repository.list_channels(connection, tenant_id)
    return next(c for c in configured if c.name == channel), secret


def callback_secret(ledger: Ledger, tenant_id: UUID, channel: str) -> str | None:
    with ledger.database.read() as connection:
        return wallet_settings_repository.callback_secret(connection, tenant_id, channel)
