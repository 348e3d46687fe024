"""Turning wallet-flow records into their response shapes (minor units to decimal strings)."""

from __future__ import annotations

from datetime import datetime

from tallybook.api.presenters import Presenter
from tallybook.api.wallet_schemas import (
    OrderOut,
    RefundOut,
    TopUpOut,
    WalletSettingsOut,
    WithdrawalOut,
    WithdrawalRulesBody,
)
from tallybook.ledger.money import format_minor_units
from tallybook.wallet_model import Order, TopUp, WalletSettings, Withdrawal

BASIS_POINTS_DECIMALS = 2


class WalletPresenter(Presenter):
    def topup(self, topup: TopUp, now: datetime) -> TopUpOut:
        return TopUpOut(
            id=topup.id,
            account_id=topup.account_id,
            amount=self.money(topup.amount, topup.currency),
            currency=topup.currency,
            channel=topup.channel,
            status=topup.status_at(now),
            note=topup.note,
            metadata=dict(topup.metadata),
            external_reference=topup.external_reference,
            receipt_id=topup.receipt_id,
            transfer_id=topup.transfer_id,
            failure_reason=topup.failure_reason,
            confirmed_via=topup.confirmed_via,
            operator=topup.operator,
            created_at=topup.created_at,
            expires_at=topup.expires_at,
            updated_at=topup.updated_at,
        )

    def withdrawal(self, withdrawal: Withdrawal) -> WithdrawalOut:
        currency = withdrawal.currency
        return WithdrawalOut(
            id=withdrawal.id,
            account_id=withdrawal.account_id,
            currency=currency,
            amount=self.money(withdrawal.amount, currency),
            fee=self.money(withdrawal.fee, currency),
            payout=self.money(withdrawal.payout, currency),
            channel=withdrawal.channel,
            destination=dict(withdrawal.destination),
            status=withdrawal.status,
            note=withdrawal.note,
            receipt_id=withdrawal.receipt_id,
            payout_hold_id=withdrawal.payout_hold_id,
            fee_hold_id=withdrawal.fee_hold_id,
            payout_reference=withdrawal.payout_reference,
            reason=withdrawal.reason,
            operator=withdrawal.operator,
            created_at=withdrawal.created_at,
            updated_at=withdrawal.updated_at,
        )

    def order(self, order: Order) -> OrderOut:
        currency = order.currency
        return OrderOut(
            id=order.id,
            account_id=order.account_id,
            order_number=order.order_number,
            title=order.title,
            image_url=order.image_url,
            amount=self.money(order.amount, currency),
            currency=currency,
            country_code=order.country_code,
            tags=list(order.tags),
            note=order.note,
            metadata=dict(order.metadata),
            status=order.status,
            refunded=self.money(order.refunded, currency),
            refundable=self.money(order.refundable, currency),
            receipt_id=order.receipt_id,
            payment_transfer_id=order.payment_transfer_id,
            refunds=[
                RefundOut(
                    id=refund.id,
                    amount=self.money(refund.amount, currency),
                    receipt_id=refund.receipt_id,
                    transfer_id=refund.transfer_id,
                    reason=refund.reason,
                    operator=refund.operator,
                    created_at=refund.created_at,
                )
                for refund in order.refunds
            ],
            created_at=order.created_at,
            updated_at=order.updated_at,
        )

    def settings(self, settings: WalletSettings) -> WalletSettingsOut:
        return WalletSettingsOut(
            topup_expiry_seconds=settings.topup_expiry_seconds,
            withdrawal_fee_percent=format_minor_units(
                settings.withdrawal_fee_basis_points, BASIS_POINTS_DECIMALS
            ),
            withdrawal_rules={
                currency: WithdrawalRulesBody(
                    fee_fixed=self.money(rules.fee_fixed, currency),
                    minimum=self.money(rules.minimum, currency),
                    daily_maximum=(
                        None
                        if rules.daily_maximum is None
                        else self.money(rules.daily_maximum, currency)
                    ),
                )
                for currency, rules in sorted((settings.withdrawal_rules or {}).items())
            },
        )
