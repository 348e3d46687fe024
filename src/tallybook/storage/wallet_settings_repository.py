"""A tenant's wallet settings, withdrawal rules per currency, and payment channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from tallybook.storage.tables import payment_channels, wallet_settings, withdrawal_rules
from tallybook.wallet_model import PaymentChannel, WalletSettings, WithdrawalRules


def get_settings(connection: Connection, tenant_id: UUID) -> WalletSettings:
    """The tenant's settings; the defaults of `WalletSettings` where nothing was set."""
    rules = {
        row.currency: WithdrawalRules(
            currency=row.currency,
            fee_fixed=row.fee_fixed,
            minimum=row.minimum,
            daily_maximum=row.daily_maximum,
        )
        for row in connection.execute(
            select(withdrawal_rules).where(withdrawal_rules.c.tenant_id == tenant_id)
        )
    }
    row = connection.execute(
        select(wallet_settings).where(wallet_settings.c.tenant_id == tenant_id)
    ).first()
    if row is None:
        return WalletSettings(tenant_id=tenant_id, withdrawal_rules=rules)
    return WalletSettings(
        tenant_id=tenant_id,
        topup_expiry_seconds=row.topup_expiry_seconds,
        withdrawal_fee_basis_points=row.withdrawal_fee_basis_points,
        withdrawal_rules=rules,
    )


def _upsert(
    connection: Connection,
    table: Table,
    keys: dict[str, Any],
    values: dict[str, Any],
    first_values: dict[str, Any] | None = None,
) -> None:
    """Update the row of `keys`, or insert it (with `first_values` too) when there is none."""
    found_by = [table.c[name] == value for name, value in keys.items()]
    changed = update(table).where(*found_by).values(**values)
    if connection.execute(changed).rowcount > 0:
        return
    try:
        with connection.begin_nested():
            connection.execute(insert(table).values(**keys, **values, **(first_values or {})))
    except IntegrityError:  # another writer made the row first: this write comes after it
        connection.execute(changed)


def save_settings(connection: Connection, settings: WalletSettings, now: datetime) -> None:
    _upsert(
        connection,
        wallet_settings,
        {"tenant_id": settings.tenant_id},
        {
            "topup_expiry_seconds": settings.topup_expiry_seconds,
            "withdrawal_fee_basis_points": settings.withdrawal_fee_basis_points,
            "updated_at": now,
        },
    )
    for rules in (settings.withdrawal_rules or {}).values():
        _upsert(
            connection,
            withdrawal_rules,
            {"tenant_id": settings.tenant_id, "currency": rules.currency},
            {
                "fee_fixed": rules.fee_fixed,
                "minimum": rules.minimum,
                "daily_maximum": rules.daily_maximum,
                "updated_at": now,
            },
        )


def list_channels(connection: Connection, tenant_id: UUID) -> list[PaymentChannel]:
    query = (
        select(payment_channels)
        .where(payment_channels.c.tenant_id == tenant_id)
        .order_by(payment_channels.c.name)
    )
    return [
        PaymentChannel(
            tenant_id=row.tenant_id,
            name=row.name,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in connection.execute(query)
    ]


def callback_secret(connection: Connection, tenant_id: UUID, channel: str) -> str | None:
    query = select(payment_channels.c.callback_secret).where(
        payment_channels.c.tenant_id == tenant_id, payment_channels.c.name == channel
    )
    secret: str | None = connection.execute(query).scalar()
    return secret


def save_channel(
    connection: Connection, tenant_id: UUID, channel: str, secret: str, now: datetime
) -> None:
    """Add the channel with its callback secret, or replace the secret it has."""
    _upsert(
        connection,
        payment_channels,
        {"tenant_id": tenant_id, "name": channel},
        {"callback_secret": secret, "updated_at": now},
        {"created_at": now},
    )
