"""Exporting the balance history as CSV or JSON Lines, a batch at a time.

Memory stays flat whatever the size: the ledger reads keyset batches (each in its own short
read transaction) and each batch is encoded and handed on before the next is read. The HTTP
API streams the chunks; `tallybook export` writes them to a file with a progress bar.
"""

from __future__ import annotations

from collections.abc import Iterator

from tallybook.ledger import Ledger
from tallybook.ledger.queries import EntryQuery
from tallybook.render.entry_records import (
    csv_header,
    entry_record,
    record_csv_line,
    record_json_line,
)
from tallybook.render.formats import OutputFormat

EXPORT_BATCH_ENTRIES = 1000


def export_chunks(
    ledger: Ledger,
    query: EntryQuery,
    chosen: OutputFormat,
    *,
    newest_first: bool = False,
    batch_size: int = EXPORT_BATCH_ENTRIES,
) -> Iterator[tuple[str, int]]:
    """(text, entries in it) chunks of the export: the CSV header first, then one chunk per
    batch. `chosen` is CSV or JSON Lines."""
    if chosen not in (OutputFormat.CSV, OutputFormat.JSONL):
        raise ValueError(f"entries export as csv or jsonl, not {chosen}")
    decimals = {currency.code: currency.decimals for currency in ledger.currencies(query.tenant_id)}
    encode = record_csv_line if chosen is OutputFormat.CSV else record_json_line
    if chosen is OutputFormat.CSV:
        yield csv_header(), 0
    for batch in ledger.iter_entries(query, newest_first=newest_first, batch_size=batch_size):
        text = "".join(encode(entry_record(line, decimals[line.entry.currency])) for line in batch)
        yield text, len(batch)
