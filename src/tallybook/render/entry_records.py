"""One balance-history entry as a flat record, and that record as a CSV row or a JSON line.

The record has the fields of the API's `EntryOut` (amounts as exact decimal strings), so a
JSON Lines export, a CSV export and a page of `GET /v1/entries` all say the same thing. Its
ids stay UUIDs and its time a datetime: orjson writes both (`encode_json`) in C, where
turning them into text in Python took a tenth of a history page's time; a CSV row writes
them itself.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import orjson

from tallybook.ledger.money import format_minor_units
from tallybook.ledger.queries import HistoryLine

CSV_COLUMNS = (
    "id",
    "created_at",
    "account_id",
    "transfer_id",
    "type",
    "currency",
    "amount",
    "balance_before",
    "balance_after",
    "sequence",
    "order_number",
    "receipt_id",
    "invoice_id",
    "channel",
    "country_code",
    "tags",
    "note",
    "operator",
)


def entry_record(line: HistoryLine, decimals: int) -> dict[str, Any]:
    """The entry and its transfer's references; `decimals` are its currency's."""
    entry = line.entry
    return {
        "id": entry.id,
        "account_id": entry.account_id,
        "transfer_id": entry.transfer_id,
        "type": line.type.value,
        "currency": entry.currency,
        "amount": format_minor_units(entry.amount, decimals),
        "balance_before": format_minor_units(entry.balance_before, decimals),
        "balance_after": format_minor_units(entry.balance_after, decimals),
        "sequence": entry.sequence,
        **line.references.flat(),
        "created_at": entry.created_at,
    }


def encode_json(document: Any) -> bytes:
    """JSON of records (and what holds them): UTF-8, UTC times ending in `Z`, as the API's
    models write them."""
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def csv_row(values: list[Any]) -> str:
    """One CSV line (RFC 4180 quoting, CRLF) of already flat values."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def csv_header() -> str:
    return csv_row(list(CSV_COLUMNS))


def record_csv_line(record: dict[str, Any]) -> str:
    """Tags are joined with `;`; a missing value is an empty cell; the time is written as in
    JSON."""
    values = []
    for column in CSV_COLUMNS:
        value = record[column]
        if column == "tags":
            value = ";".join(value)
        elif isinstance(value, datetime):
            value = value.isoformat().replace("+00:00", "Z")
        values.append("" if value is None else value)
    return csv_row(values)


def record_json_line(record: dict[str, Any]) -> str:
    return encode_json(record).decode() + "\n"
