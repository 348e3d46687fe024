"""Orders paid from the balance, and their refunds.

    (none) --charge--> paid                      (account -> revenue, type order_payment)
    paid / partially_refunded --refund--> partially_refunded | refunded   (revenue -> account)

An order number is unique in the tenant: a second charge with a number already used is
`DuplicateOrder`, whatever its amount (send an idempotency key to make a retry answer the
first charge). A refund gives back part or all of what is left; many refunds may follow one
another, never more in total than was charged (`RefundExceedsCharge`), and a fully refunded
order refuses more (`InvalidState` naming `refunded`). Every charge and refund is a step of the
posting engine: the money and the order's new state commit together, and two racing refunds
of one order are applied one after the other, each seeing what the other left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tallybook.ledger import Ledger, errors
from tallybook.ledger.ids import new_id
from tallybook.ledger.limits import (
    MAX_COUNTRY_CODE_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REFERENCE_LENGTH,
    check_metadata,
    check_tags,
    check_text,
)
from tallybook.ledger.queries import Page, Window
from tallybook.ledger.steps import (
    BalanceRef,
    RecordBook,
    RecordKey,
    RecordStore,
    Step,
    StepResult,
    StepWork,
)
from tallybook.model import References, SystemAccount, TransferType
from tallybook.storage import orders_repository
from tallybook.storage.orders_repository import ORDERS
from tallybook.wallet import receipts
from tallybook.wallet.errors import (
    DuplicateOrder,
    InvalidState,
    OrderNotFound,
    RefundExceedsCharge,
)
from tallybook.wallet.reads import read, read_one
from tallybook.wallet_model import Order, OrderQuery, OrderStatus, Refund

MAX_TITLE_LENGTH = 200
MAX_IMAGE_URL_LENGTH = 2000


def order_key(tenant_id: UUID, order_number: str) -> RecordKey:
    return RecordKey(ORDERS.kind, tenant_id, order_number)


class _OrderStep(Step[Order]):
    """A charge or a refund: it moves money between the order's account and revenue."""

    __slots__ = ()
    order_number: str
    account_id: UUID
    currency: str
    revenue_account_id: UUID

    @property
    def subject_store(self) -> RecordStore:
        return ORDERS

    def stores(self) -> Sequence[RecordStore]:
        return (ORDERS,)

    def records(self, now: datetime) -> Sequence[RecordKey]:
        return (order_key(self.tenant_id, self.order_number),)

    def subject_key(self, subject: Order) -> RecordKey:
        return order_key(subject.tenant_id, subject.order_number)

    def footprint(self, book: RecordBook) -> Iterable[BalanceRef]:
        yield self.tenant_id, self.account_id, self.currency
        yield self.tenant_id, self.revenue_account_id, self.currency


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeOrder(_OrderStep):
    """Pay an order from the account's balance. Refused with: DuplicateOrder,
    AccountNotFound, AccountFrozen, AccountClosed, UnknownCurrency, InvalidAmount,
    InsufficientFunds."""

    tenant_id: UUID
    account_id: UUID
    order_number: str
    title: str
    amount: Decimal
    currency: str
    image_url: str | None = None
    country_code: str | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    revenue_account_id: UUID
    resolved_fields = frozenset({"revenue_account_id"})

    def apply(self, work: StepWork) -> Order:
        if work.get(order_key(self.tenant_id, self.order_number), Order) is not None:
            raise DuplicateOrder(
                f"order number {self.order_number!r} is already used", field="order_number"
            )
        work.customer_account(self.tenant_id, self.account_id, "account_id")
        order_id = new_id()
        receipt_id = receipts.new_receipt_id(receipts.ORDER_PAYMENT)
        payment = work.transfer(
            self.tenant_id,
            self.account_id,
            self.revenue_account_id,
            work.minor_units(self.tenant_id, self.currency, self.amount),
            self.currency,
            References(
                order_number=self.order_number,
                receipt_id=receipt_id,
                country_code=self.country_code,
                tags=self.tags,
                note=self.note or self.title,
                metadata={"order_id": str(order_id)},
            ),
            type=TransferType.ORDER_PAYMENT,
        )
        order = Order(
            id=order_id,
            tenant_id=self.tenant_id,
            account_id=self.account_id,
            order_number=self.order_number,
            title=self.title,
            image_url=self.image_url,
            amount=payment.amount,
            currency=self.currency,
            country_code=self.country_code,
            tags=self.tags,
            note=self.note,
            metadata=self.metadata,
            status=OrderStatus.PAID,
            receipt_id=receipt_id,
            payment_transfer_id=payment.id,
            refunds=(),
            created_at=work.now,
            updated_at=work.now,
        )
        work.put(self.subject_key(order), order)
        return order


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundOrder(_OrderStep):
    """Give back `amount` of an order (None: all that is left). Refused with: OrderNotFound,
    InvalidState (refunded), RefundExceedsCharge, InvalidAmount, AccountClosed."""

    tenant_id: UUID
    order_id: UUID
    amount: Decimal | None = None
    reason: str | None = None
    operator: str | None = None
    idempotency_key: str | None = None
    order_number: str
    account_id: UUID
    currency: str
    revenue_account_id: UUID
    resolved_fields = frozenset({"order_number", "account_id", "currency", "revenue_account_id"})

    def apply(self, work: StepWork) -> Order:
        order = work.get(order_key(self.tenant_id, self.order_number), Order)
        if order is None or order.id != self.order_id:
            raise OrderNotFound(self.order_id)
        if order.status is OrderStatus.REFUNDED:
            raise InvalidState("order", order.id, order.status.value, "refunded again")
        amount = order.refundable
        if self.amount is not None:
            amount = work.minor_units(self.tenant_id, order.currency, self.amount)
            if amount > order.refundable:
                left = work.money(self.tenant_id, order.currency, order.refundable)
                asked = work.money(self.tenant_id, order.currency, amount)
                raise RefundExceedsCharge(
                    f"order {order.order_number} has {left} left to refund, {asked} asked",
                    field="amount",
                )
        refund_id = new_id()
        receipt_id = receipts.new_receipt_id(receipts.REFUND)
        transfer = work.transfer(
            self.tenant_id,
            self.revenue_account_id,
            order.account_id,
            amount,
            order.currency,
            References(
                order_number=order.order_number,
                receipt_id=receipt_id,
                country_code=order.country_code,
                tags=order.tags,
                note=self.reason or f"Refund of {order.title}",
                operator=self.operator,
                metadata={"order_id": str(order.id), "refund_id": str(refund_id)},
            ),
            type=TransferType.REFUND,
        )
        refund = Refund(
            id=refund_id,
            order_id=order.id,
            amount=amount,
            receipt_id=receipt_id,
            transfer_id=transfer.id,
            reason=self.reason,
            operator=self.operator,
            created_at=work.now,
        )
        refunded = replace(order, refunds=(*order.refunds, refund), updated_at=work.now)
        status = (
            OrderStatus.REFUNDED if refunded.refundable == 0 else OrderStatus.PARTIALLY_REFUNDED
        )
        refunded = replace(refunded, status=status)
        work.put(self.subject_key(refunded), refunded)
        return refunded


# -- use cases ----------------------------------------------------------------------------------


def charge(
    ledger: Ledger,
    tenant_id: UUID,
    account_id: UUID,
    order_number: str,
    title: str,
    amount: Decimal,
    currency: str,
    *,
    image_url: str | None = None,
    country_code: str | None = None,
    tags: tuple[str, ...] = (),
    note: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> StepResult[Order]:
    """Charge an order (see `ChargeOrder`). Raises ValidationError for an empty or long order
    number or title, a long image URL, country code or note, bad tags or metadata."""
    if not 1 <= len(order_number) <= MAX_REFERENCE_LENGTH:
        raise errors.ValidationError(
            f"an order number is 1 to {MAX_REFERENCE_LENGTH} characters", field="order_number"
        )
    if not 1 <= len(title) <= MAX_TITLE_LENGTH:
        raise errors.ValidationError(
            f"a title is 1 to {MAX_TITLE_LENGTH} characters", field="title"
        )
    check_text(image_url, "image_url", MAX_IMAGE_URL_LENGTH)
    check_text(country_code, "country_code", MAX_COUNTRY_CODE_LENGTH)
    check_text(note, "note", MAX_NOTE_LENGTH)
    check_tags(tags)
    check_metadata(dict(metadata or {}))
    revenue = ledger.system_account(tenant_id, SystemAccount.REVENUE, currency)
    step = ChargeOrder(
        tenant_id=tenant_id,
        account_id=account_id,
        order_number=order_number,
        title=title,
        amount=amount,
        currency=currency,
        image_url=image_url,
        country_code=country_code,
        tags=tags,
        note=note,
        metadata=dict(metadata or {}),
        idempotency_key=idempotency_key,
        revenue_account_id=revenue.id,
    )
    return ledger.run(step)


def refund(
    ledger: Ledger,
    tenant_id: UUID,
    order_id: UUID,
    *,
    amount: Decimal | None = None,
    reason: str | None = None,
    operator: str | None = None,
    idempotency_key: str | None = None,
) -> StepResult[Order]:
    """Refund part or all of what is left of an order (see `RefundOrder`)."""
    check_text(reason, "reason", MAX_NOTE_LENGTH)
    check_text(operator, "operator", MAX_REFERENCE_LENGTH)
    order = get(ledger, tenant_id, order_id)
    revenue = ledger.system_account(tenant_id, SystemAccount.REVENUE, order.currency)
    step = RefundOrder(
        tenant_id=tenant_id,
        order_id=order_id,
        amount=amount,
        reason=reason,
        operator=operator,
        idempotency_key=idempotency_key,
        order_number=order.order_number,
        account_id=order.account_id,
        currency=order.currency,
        revenue_account_id=revenue.id,
    )
    return ledger.run(step)


def get(ledger: Ledger, tenant_id: UUID, order_id: UUID) -> Order:
    return read_one(
        ledger, lambda c: orders_repository.get(c, tenant_id, order_id), OrderNotFound(order_id)
    )


def list_page(ledger: Ledger, query: OrderQuery, window: Window[UUID]) -> Page[Order, UUID]:
    return read(ledger, lambda c: orders_repository.list_orders(c, query, window))
