"""What the benches share: a freshly migrated database, client threads timed one call at a
time, and the figures printed for each run (with `verify` before anything is reported)."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tallybook.ledger import Ledger
from tallybook.storage import migrate
from tallybook.storage.database import Database


def fresh_database(url: str) -> Database:
    """`url` emptied and migrated to head."""
    database = Database(url)
    migrate.downgrade(database, "base")
    migrate.upgrade(database)
    return database


def measure(
    ledger: Ledger, clients: int, calls_per_client: int, call: Callable[[int, int], None]
) -> dict[str, float]:
    """Run `call(client, index)` from `clients` threads; throughput, latencies, batch size.
    Exits naming the drift if `verify` finds any afterwards."""
    latencies_seconds: list[float] = []

    def client(number: int) -> None:
        for index in range(calls_per_client):
            started = time.perf_counter()
            call(number, index)
            latencies_seconds.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed_seconds = time.perf_counter() - started
    report = ledger.verify()
    if not report.ok:
        sys.exit(f"verify found drift on {ledger.database.url}:\n{report.render()}")
    engine = ledger.engine.statistics
    latencies_seconds.sort()
    return {
        "throughput": len(latencies_seconds) / elapsed_seconds,
        "p50_ms": statistics.median(latencies_seconds) * 1000,
        "p99_ms": latencies_seconds[int(len(latencies_seconds) * 0.99)] * 1000,
        "average_batch": engine.commands / engine.batches,
    }
