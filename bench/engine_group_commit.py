"""Group commit against one-transaction-per-command, through the same posting engine.

Runs, in one process, the same workload twice on each database: many client threads posting
transfers that all touch one hot account. The baseline is the engine limited to one command
per transaction (`engine_max_batch_commands=1`, the usual service design); the candidate is
the default group commit. Durable settings on both (SQLite WAL + synchronous=FULL, PostgreSQL
synchronous_commit on). Prints one table and ends with `verify` on every database written.

    .venv/bin/python bench/engine_group_commit.py [--postgresql-url URL] [--transfers N]
"""

from __future__ import annotations

import argparse
import tempfile
from decimal import Decimal
from pathlib import Path

from harness import fresh_database, measure
from tallybook.ledger import CreateTransfer, Ledger
from tallybook.model import SystemAccount, TransferType
from tallybook.settings import Settings

CLIENT_THREADS = 64


def run(url: str, max_batch_commands: int, transfers: int) -> dict[str, float]:
    database = fresh_database(url)
    settings = Settings(database_url=url, engine_max_batch_commands=max_batch_commands)
    with Ledger(database, settings=settings) as ledger:
        tenant = ledger.create_tenant("bench")
        ledger.configure_currency(tenant.id, "CNY")
        world = ledger.system_account(tenant.id, SystemAccount.WORLD, "CNY").id
        hot = ledger.create_account(tenant.id, "hot", "Hot account").id
        others = [ledger.create_account(tenant.id, f"c{n}", f"C{n}").id for n in range(100)]
        ledger.execute(
            CreateTransfer(tenant.id, world, hot, Decimal(10**9), "CNY", TransferType.TOPUP)
        )

        def transfer(number: int, step: int) -> None:
            ledger.execute(
                CreateTransfer(
                    tenant.id,
                    hot,
                    others[(number + step) % len(others)],
                    Decimal("0.01"),
                    "CNY",
                    TransferType.ALLOCATION,
                )
            )

        return measure(ledger, CLIENT_THREADS, transfers // CLIENT_THREADS, transfer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql-url", help="an empty, disposable PostgreSQL database")
    parser.add_argument("--transfers", type=int, default=12_800)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        targets = [("sqlite", f"sqlite:///{Path(directory) / 'bench.db'}")]
        if arguments.postgresql_url:
            targets.append(("postgresql", arguments.postgresql_url))
        print(
            f"{CLIENT_THREADS} client threads, {arguments.transfers} transfers on one hot account"
        )
        print(
            f"{'database':<11} {'system':<34} {'transfers/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'avg batch':>9} {'ratio':>6}"
        )
        for name, url in targets:
            baseline = run(url, 1, arguments.transfers)
            candidate = run(url, Settings().engine_max_batch_commands, arguments.transfers)
            for system, figures in (
                ("one transaction per command", baseline),
                ("group commit (default engine)", candidate),
            ):
                ratio = figures["throughput"] / baseline["throughput"]
                print(
                    f"{name:<11} {system:<34} {figures['throughput']:>11.0f} "
                    f"{figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f} "
                    f"{figures['average_batch']:>9.1f} {ratio:>5.1f}x"
                )
        print("verify: clean on every database written")


if __name__ == "__main__":
    main()
