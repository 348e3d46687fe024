"""One balance-history entry as a flat record, and that record as a CSV row or a JSON line.

The record has the fields of the API's `EntryOut` (amounts as exact decimal strings), so a
JSON Lines export, a CSV export and a page of `GET /v1/entries` all say the same thing.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

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
        "account_id": str(entry.account_id),
        "transfer_id": str(entry.transfer_id),
        "type": line.type.value,
        "currency": entry.currency,
        "amount": format_minor_units(entry.amount, decimals),
        "balance_before": format_minor_units(entry.balance_before, decimals),
        "balance_after": format_minor_units(entry.balance_after, decimals),
        "sequence": entry.sequence,
        **line.references.flat(),
        "created_at": entry.created_at.isoformat().replace("+00:00", "Z"),
    }


def csv_row(values: list[Any]) -> str:
    """One CSV line (RFC 4180 quoting, CRLF) of already flat values."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def csv_header() -> str:
    return csv_row(list(CSV_COLUMNS))


def record_csv_line(record: dict[str, Any]) -> str:
    """Tags are joined with `;`; a missing value is an empty cell."""
    values = []
    for column in CSV_COLUMNS:
        value = record[column]
        values.append(";".join(value) if column == "tags" else "" if value is None else value)
    return csv_row(values)


def record_json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
