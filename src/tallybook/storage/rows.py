"""Turning database rows into the record types of `tallybook.model`, and back."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from operator import itemgetter
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
from tallybook.storage.tables import transfers


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


# `_transfer` unpacks the transfers table's columns in this (the table's) order.
_TRANSFER_COLUMNS = tuple(transfers.c.keys())
# Entry's fields are the entries table's columns, in the same order.
_ENTRY_COLUMNS = tuple(field.name for field in dataclasses.fields(Entry))


@functools.lru_cache(maxsize=256)
def _picker(fields: tuple[str, ...], names: tuple[str, ...], prefix: str) -> itemgetter[Any]:
    """Reads `names` (each with `prefix`) out of a row with `fields`, by position.

    A row's attribute access costs about ten times its index access; a page of history reads
    thirty-five columns of a hundred rows, so rows are read by position, looked up once per
    result shape."""
    position = {name: index for index, name in enumerate(fields)}
    return itemgetter(*(position[prefix + name] for name in names))


def transfer_from_row(row: Row[Any]) -> Transfer:
    return _transfer(_picker(row._fields, _TRANSFER_COLUMNS, "")(row))


# What a line of history reads of its transfer: its type, then its references.
HISTORY_TRANSFER_COLUMNS = ("type", *(field.name for field in dataclasses.fields(References)))


def history_reader(
    fields: Sequence[str], entry_prefix: str
) -> Callable[[Row[Any]], tuple[Entry, TransferType, References]]:
    """Reads the entry (columns labelled with `entry_prefix`) and its transfer's type and
    references (`HISTORY_TRANSFER_COLUMNS`) out of each row of a result with `fields`: the
    columns are looked up once per result, not per row."""
    pick_entry = _picker(tuple(fields), _ENTRY_COLUMNS, entry_prefix)
    pick_transfer = _picker(tuple(fields), HISTORY_TRANSFER_COLUMNS, "")

    def read(row: Row[Any]) -> tuple[Entry, TransferType, References]:
        transfer_type, *references = pick_transfer(row)
        return Entry(*pick_entry(row)), TransferType(transfer_type), _references(*references)

    return read


def _references(
    order_number: str | None,
    receipt_id: str | None,
    invoice_id: str | None,
    channel: str | None,
    country_code: str | None,
    tags: list[str],
    note: str | None,
    operator: str | None,
    metadata: dict[str, Any],
) -> References:
    """References from their columns, in `References`' field order."""
    return References(
        order_number, receipt_id, invoice_id, channel, country_code, tuple(tags), note, operator,
        metadata,
    )  # fmt: skip


def _transfer(values: tuple[Any, ...]) -> Transfer:
    (
        transfer_id,
        tenant_id,
        debit_account_id,
        credit_account_id,
        amount,
        currency,
        transfer_type,
        status,
        pending_id,
        reversal_of_id,
        order_number,
        receipt_id,
        invoice_id,
        channel,
        country_code,
        tags,
        note,
        operator,
        metadata,
        idempotency_key,
        request_hash,
        created_at,
        expires_at,
        flow,
    ) = values
    return Transfer(
        id=transfer_id,
        tenant_id=tenant_id,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=amount,
        currency=currency,
        type=TransferType(transfer_type),
        status=TransferStatus(status),
        pending_id=pending_id,
        reversal_of_id=reversal_of_id,
        references=_references(
            order_number,
            receipt_id,
            invoice_id,
            channel,
            country_code,
            tags,
            note,
            operator,
            metadata,
        ),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=created_at,
        expires_at=expires_at,
        flow=flow,
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
    return Entry(*_picker(row._fields, _ENTRY_COLUMNS, prefix)(row))
