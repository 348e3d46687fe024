"""Reading the balance history deep down: keyset pages vs. OFFSET pages, and exact counts
from stored sequences vs. COUNT(*).

    .venv/bin/python bench/history_pagination.py                  # 200,000 entries, SQLite
    .venv/bin/python bench/history_pagination.py --postgresql-url postgresql://...

For each list filter (whole tenant, one account, one account in one currency, one account
in a time range) it times a page of 100 at several depths, read the way `/v1/entries` reads
it (the cursor's position, then an index seek) beside the same page read with LIMIT/OFFSET;
then the exact count `include_total` gives beside a plain COUNT(*). Median of 5 runs each.
Prints figures only; asserts nothing (not a test).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from history_data import build_history
from tallybook.ledger import Ledger
from tallybook.ledger.queries import EntryQuery, HistoryPosition, Window
from tallybook.settings import Settings
from tallybook.storage.rows import entry_from_row, transfer_from_row
from tallybook.storage.tables import entries, transfers

PAGE = 100
RUNS = 5


def median_milliseconds(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def conditions(query: EntryQuery) -> list[Any]:
    found: list[Any] = [entries.c.tenant_id == query.tenant_id]
    if query.account_ids is not None:
        found.append(entries.c.account_id.in_(sorted(query.account_ids)))
    if query.currency is not None:
        found.append(entries.c.currency == query.currency)
    if query.created_from is not None:
        found.append(entries.c.created_at >= query.created_from)
    if query.created_to is not None:
        found.append(entries.c.created_at < query.created_to)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--postgresql-url", help="an empty PostgreSQL database (else SQLite)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = arguments.postgresql_url or f"sqlite:///{directory}/pagination-bench.db"
        print(f"building {arguments.entries:,} entries …", file=sys.stderr)
        history = build_history(url, arguments.entries)
        with Ledger.from_settings(Settings(database_url=url)) as ledger:
            run(ledger, history.tenant_id, history.customers[0])


def run(ledger: Ledger, tenant_id: Any, customer: Any) -> None:
    with ledger.database.read() as connection:
        first, last = connection.execute(
            select(func.min(entries.c.created_at), func.max(entries.c.created_at))
        ).one()
    middle = first + (last - first) / 2
    one = frozenset({customer})
    cases = {
        "whole tenant": EntryQuery(tenant_id=tenant_id),
        "one account": EntryQuery(tenant_id=tenant_id, account_ids=one),
        "account + currency": EntryQuery(tenant_id=tenant_id, account_ids=one, currency="CNY"),
        "account + time range": EntryQuery(
            tenant_id=tenant_id,
            account_ids=one,
            created_from=middle,
            created_to=middle + (last - first) / 4 + timedelta(seconds=1),
        ),
    }
    print(f"\npage of {PAGE} at a depth, median of {RUNS} (ms): keyset cursor vs OFFSET")
    print(f"{'filter':>22} {'matching':>9} {'depth':>8} {'keyset':>8} {'offset':>8}")
    for name, query in cases.items():
        matching = ledger.count_entries(query)
        ordered = select(entries.c.id, entries.c.created_at).where(*conditions(query))
        ordered = ordered.order_by(entries.c.created_at, entries.c.id)
        for share in (0.0, 0.5, 0.99):
            depth = int(matching * share)
            with ledger.database.read() as connection:
                after = None  # the position a cursor of the page before would hold
                if depth:
                    entry_id, moment = connection.execute(ordered.offset(depth - 1).limit(1)).one()
                    after = HistoryPosition(entry_id, moment)
            window: Window[HistoryPosition] = Window(limit=PAGE, after=after, newest_first=False)

            def offset_page(depth: int = depth, query: EntryQuery = query) -> None:
                """The same page (entries with their transfers, as records) by OFFSET."""
                statement = (
                    select(*(column.label(f"e_{column.name}") for column in entries.c), transfers)
                    .join(transfers, transfers.c.id == entries.c.transfer_id)
                    .where(*conditions(query))
                    .order_by(entries.c.created_at, entries.c.id)
                    .offset(depth)
                    .limit(PAGE)
                )
                with ledger.database.read() as connection:
                    for row in connection.execute(statement):
                        entry_from_row(row, prefix="e_"), transfer_from_row(row)

            def keyset_page(
                query: EntryQuery = query, window: Window[HistoryPosition] = window
            ) -> None:
                ledger.list_entries(query, window)

            keyset = median_milliseconds(keyset_page)
            print(
                f"{name:>22} {matching:>9,} {depth:>8,} {keyset:>8.1f} "
                f"{median_milliseconds(offset_page):>8.1f}"
            )
    print(f"\nexact count, median of {RUNS} (ms): from stored sequences vs COUNT(*)")
    print(f"{'filter':>22} {'count':>9} {'sequences':>10} {'COUNT(*)':>9}")
    for name, query in cases.items():

        def count_rows(query: EntryQuery = query) -> int:
            with ledger.database.read() as connection:
                statement = select(func.count()).where(*conditions(query))
                return int(connection.execute(statement).scalar_one())

        def count_by_sequences(query: EntryQuery = query) -> int:
            return ledger.count_entries(query)

        counted = median_milliseconds(count_by_sequences)
        print(
            f"{name:>22} {count_rows():>9,} {counted:>10.1f} "
            f"{median_milliseconds(count_rows):>9.1f}"
        )


if __name__ == "__main__":
    main()
