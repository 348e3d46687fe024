"""Turning database rows into the record types of `tallybook.model`, and back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from tallybook.model import (
    Account,
    AccountKind,
    AccountStatus,
    Balance,
    Entry,
    References,
    Tenant,
    Transfer,
    TransferStatus,
    TransferType,
)


def tenant_from_row(row: Row[Any]) -> Tenant:
    return Tenant(
        id=row.id,
        name=row.name,
        time_zone=row.time_zone,
        created_at=row.created_at,
        archive_after_months=row.archive_after_months,
    )


def account_from_row(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        tenant_id=row.tenant_id,
        number=row.number,
        external_id=row.external_id,
        name=row.name,
        parent_id=row.parent_id,
        status=AccountStatus(row.status),
        kind=AccountKind(row.kind),
        metadata=row.metadata,
        tags=tuple(row.tags),
        payout_profile=row.payout_profile,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def balance_from_row(row: Row[Any]) -> Balance:
    return Balance(
        account_id=row.account_id,
        currency=row.currency,
        posted=row.posted,
        held=row.held,
        credit_limit=row.credit_limit,
    )


def transfer_from_row(row: Row[Any]) -> Transfer:
    return Transfer(
        id=row.id,
        tenant_id=row.tenant_id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount,
        currency=row.currency,
        type=TransferType(row.type),
        status=TransferStatus(row.status),
        pending_id=row.pending_id,
        reversal_of_id=row.reversal_of_id,
        references=References(
            order_number=row.order_number,
            receipt_id=row.receipt_id,
            invoice_id=row.invoice_id,
            channel=row.channel,
            country_code=row.country_code,
            tags=tuple(row.tags),
            note=row.note,
            operator=row.operator,
            metadata=row.metadata,
        ),
        idempotency_key=row.idempotency_key,
        request_hash=row.request_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        flow=row.flow,
    )


def transfer_to_row(transfer: Transfer) -> dict[str, Any]:
    references = transfer.references
    return {
        "id": transfer.id,
        "tenant_id": transfer.tenant_id,
        "debit_account_id": transfer.debit_account_id,
        "credit_account_id": transfer.credit_account_id,
        "amount": transfer.amount,
        "currency": transfer.currency,
        "type": transfer.type.value,
        "status": transfer.status.value,
        "pending_id": transfer.pending_id,
        "reversal_of_id": transfer.reversal_of_id,
        "order_number": references.order_number,
        "receipt_id": references.receipt_id,
        "invoice_id": references.invoice_id,
        "channel": references.channel,
        "country_code": references.country_code,
        "tags": list(references.tags),
        "note": references.note,
        "operator": references.operator,
        "metadata": dict(references.metadata),
        "idempotency_key": transfer.idempotency_key,
        "request_hash": transfer.request_hash,
        "created_at": transfer.created_at,
        "expires_at": transfer.expires_at,
        "flow": transfer.flow,
    }


def entry_from_row(row: Row[Any], prefix: str = "") -> Entry:
    """`prefix` reads the entry from a joined row whose entry columns are labelled with it."""
    values = row._mapping
    return Entry(
        id=values[prefix + "id"],
        tenant_id=values[prefix + "tenant_id"],
        transfer_id=values[prefix + "transfer_id"],
        account_id=values[prefix + "account_id"],
        currency=values[prefix + "currency"],
        amount=values[prefix + "amount"],
        balance_before=values[prefix + "balance_before"],
        balance_after=values[prefix + "balance_after"],
        sequence=values[prefix + "sequence"],
        created_at=values[prefix + "created_at"],
        hash=values[prefix + "hash"],
    )
