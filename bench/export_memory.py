"""Peak memory of exporting the balance history: streamed in keyset batches vs. loaded whole.

    .venv/bin/python bench/export_memory.py                      # 1,000,000 entries, SQLite
    .venv/bin/python bench/export_memory.py --entries 200000 --postgresql-url postgresql://...

Builds a tenant with `--entries` entries through the real engine (atomic batches of 1,000
top-ups and payments over 200 customers), then exports them all as CSV to /dev/null twice,
each time in a fresh child process so its peak resident memory is its own:

- `streamed`: what `GET /v1/entries?format=csv` and `tallybook export` do
  (`render.entry_export.export_chunks`: keyset batches of 1,000, each read in its own
  transaction and written before the next is read);
- `baseline`: the same rows read with one query into a list, then written.

Prints figures side by side; it asserts nothing about time (not a test).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from uuid import UUID

from history_data import build_history
from tallybook.ledger import Ledger
from tallybook.ledger.queries import EntryQuery, HistoryPosition, Window
from tallybook.render.entry_export import EXPORT_BATCH_ENTRIES, export_chunks
from tallybook.render.entry_records import csv_header, entry_record, record_csv_line
from tallybook.render.formats import OutputFormat
from tallybook.settings import Settings
from tallybook.storage import listing_repository


def export_streamed(ledger: Ledger, tenant_id: UUID) -> int:
    query = EntryQuery(tenant_id=tenant_id)
    written = 0
    with Path("/dev/null").open("w") as sink:
        for text, count in export_chunks(ledger, query, OutputFormat.CSV):
            sink.write(text)
            written += count
    return written


def export_baseline(ledger: Ledger, tenant_id: UUID) -> int:
    """Every row in one list first (what a naive export does), then written."""
    query = EntryQuery(tenant_id=tenant_id)
    decimals = {c.code: c.decimals for c in ledger.currencies(tenant_id)}
    with ledger.database.read() as connection:
        window: Window[HistoryPosition] = Window(limit=10**9, newest_first=False)
        lines = list(listing_repository.list_entries(connection, query, window).items)
    with Path("/dev/null").open("w") as sink:
        sink.write(csv_header())
        for line in lines:
            sink.write(record_csv_line(entry_record(line, decimals[line.entry.currency])))
    return len(lines)


def worker(mode: str, url: str, tenant_id: UUID) -> None:
    """Run one export in this process and print its figures as JSON."""
    ledger = Ledger.from_settings(Settings(database_url=url))
    started = time.perf_counter()
    exported = (export_streamed if mode == "streamed" else export_baseline)(ledger, tenant_id)
    seconds = time.perf_counter() - started
    ledger.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"mode": mode, "entries": exported, "seconds": seconds, "peak_kib": peak_kib}))


def measure(mode: str, url: str, tenant_id: UUID) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", mode, "--url", url, "--tenant", str(tenant_id)]
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--postgresql-url", help="an empty PostgreSQL database (else SQLite)")
    parser.add_argument("--worker", choices=["streamed", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tenant", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.worker, arguments.url, UUID(arguments.tenant))
        return
    with tempfile.TemporaryDirectory() as directory:
        url = arguments.postgresql_url or f"sqlite:///{directory}/export-bench.db"
        print(f"building {arguments.entries:,} entries on {url.split(':')[0]} …", file=sys.stderr)
        tenant_id = build_history(url, arguments.entries).tenant_id
        results = [measure(mode, url, tenant_id) for mode in ("streamed", "baseline")]
    print(
        f"\nexport of {arguments.entries:,} entries as CSV (batches of {EXPORT_BATCH_ENTRIES:,}):"
    )
    print(f"{'':>10} {'entries':>10} {'seconds':>9} {'peak RSS':>10}")
    for figures in results:
        print(
            f"{figures['mode']:>10} {int(figures['entries']):>10,} {figures['seconds']:>9.1f} "
            f"{figures['peak_kib'] / 1024:>8.0f} MiB"
        )
    streamed, baseline = results
    print(f"\nbaseline / streamed peak memory: {baseline['peak_kib'] / streamed['peak_kib']:.1f}x")


if __name__ == "__main__":
    main()
