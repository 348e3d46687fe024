"""Turning database rows into the record types of `tallybook.model`, and back."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from enum import StrEnum
from operator import itemgetter
from typing import Any, TypeVar

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
from tallybook.storage.value_builders import builder

EnumMember = TypeVar("EnumMember", bound=StrEnum)


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


def _by_value(kind: type[EnumMember]) -> dict[str, EnumMember]:
    """An enum's members by their stored value: calling the enum (`TransferType(value)`) costs
    ten times the lookup, and rows are read by the hundred."""
    return {member.value: member for member in kind}


_TRANSFER_TYPES = _by_value(TransferType)
_TRANSFER_STATUSES = _by_value(TransferStatus)

# History is read by the hundred rows: see value_builders for why these, not the classes.
_build_entry = builder(Entry)
_build_references = builder(References)

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
_REFERENCE_FIELDS = tuple(field.name for field in dataclasses.fields(References))
HISTORY_TRANSFER_COLUMNS = ("type", *_REFERENCE_FIELDS)
# Where the references stand among the transfers table's columns: together, in field order.
_REFERENCE_COLUMNS = slice(
    _TRANSFER_COLUMNS.index(_REFERENCE_FIELDS[0]),
    _TRANSFER_COLUMNS.index(_REFERENCE_FIELDS[-1]) + 1,
)
assert _TRANSFER_COLUMNS[_REFERENCE_COLUMNS] == _REFERENCE_FIELDS


def history_reader(
    fields: Sequence[str], entry_prefix: str
) -> Callable[[Row[Any]], tuple[Entry, TransferType, References]]:
    """Reads the entry (columns labelled with `entry_prefix`) and its transfer's type and
    references (`HISTORY_TRANSFER_COLUMNS`) out of each row of a result with `fields`: the
    columns are looked up once per result, not per row."""
    pick_entry = _picker(tuple(fields), _ENTRY_COLUMNS, entry_prefix)
    pick_transfer = _picker(tuple(fields), HISTORY_TRANSFER_COLUMNS, "")

    def read(row: Row[Any]) -> tuple[Entry, TransferType, References]:
        picked = pick_transfer(row)
        return _build_entry(*pick_entry(row)), _TRANSFER_TYPES[picked[0]], _references(picked[1:])

    return read


def _references(values: Sequence[Any]) -> References:
    """References from their columns, in `References`' field order (tags come as a list)."""
    order_number, receipt_id, invoice_id, channel, country_code, tags, note, operator, metadata = (
        values
    )
    return _build_references(
        order_number, receipt_id, invoice_id, channel, country_code, tuple(tags), note, operator,
        metadata,
    )  # fmt: skip


def _transfer(values: tuple[Any, ...]) -> Transfer:
    """A transfer from its columns in `_TRANSFER_COLUMNS` order."""
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
    ) = values[: _REFERENCE_COLUMNS.start]
    idempotency_key, request_hash, created_at, expires_at, flow = values[_REFERENCE_COLUMNS.stop :]
    return Transfer(
        id=transfer_id,
        tenant_id=tenant_id,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=amount,
        currency=currency,
        type=_TRANSFER_TYPES[transfer_type],
        status=_TRANSFER_STATUSES[status],
        pending_id=pending_id,
        reversal_of_id=reversal_of_id,
        references=_references(values[_REFERENCE_COLUMNS]),
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
        **references.flat(),
        "metadata": dict(references.metadata),
        "idempotency_key": transfer.idempotency_key,
        "request_hash": transfer.request_hash,
        "created_at": transfer.created_at,
        "expires_at": transfer.expires_at,
        "flow": transfer.flow,
    }


def entry_from_row(row: Row[Any], prefix: str = "") -> Entry:
    """`prefix` reads the entry from a joined row whose entry columns are labelled with it."""
    return _build_entry(*_picker(row._fields, _ENTRY_COLUMNS, prefix)(row))
