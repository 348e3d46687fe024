"""Order payments as wallet-flow steps against the same payments as raw transfers.

What the flow costs: a step locks and writes its order record (and claims nothing here) in the
batch that posts the payment; a raw `CreateTransfer` of type `order_payment` posts the payment
alone. Same process, same engine and durability, same workload: client threads paying orders
from one hot account. A third run shows the steps with one transaction per command, the
engine's batching turned off. Prints one table and ends with `verify` on every database.

    .venv/bin/python bench/wallet_steps.py [--postgresql-url URL] [--orders N]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from harness import fresh_database, measure
from tallybook.ledger import CreateTransfer, Ledger
from tallybook.model import References, SystemAccount, TransferType
from tallybook.settings import Settings
from tallybook.wallet.orders import ChargeOrder

CLIENT_THREADS = 64

Pay = Callable[[Ledger, UUID, UUID, UUID, str], None]


def pay_raw(ledger: Ledger, tenant: UUID, payer: UUID, revenue: UUID, number: str) -> None:
    references = References(order_number=number, note="Game credits")
    ledger.execute(
        CreateTransfer(
            tenant, payer, revenue, Decimal("0.01"), "CNY", TransferType.ORDER_PAYMENT, references
        )
    )


def pay_step(ledger: Ledger, tenant: UUID, payer: UUID, revenue: UUID, number: str) -> None:
    ledger.run(
        ChargeOrder(
            tenant_id=tenant,
            account_id=payer,
            order_number=number,
            title="Game credits",
            amount=Decimal("0.01"),
            currency="CNY",
            revenue_account_id=revenue,
        )
    )


def run(url: str, pay: Pay, max_batch_commands: int, orders: int) -> dict[str, float]:
    database = fresh_database(url)
    settings = Settings(database_url=url, engine_max_batch_commands=max_batch_commands)
    with Ledger(database, settings=settings) as ledger:
        tenant = ledger.create_tenant("bench")
        ledger.configure_currency(tenant.id, "CNY")
        world = ledger.system_account(tenant.id, SystemAccount.WORLD, "CNY").id
        revenue = ledger.system_account(tenant.id, SystemAccount.REVENUE, "CNY").id
        hot = ledger.create_account(tenant.id, "hot", "Hot account").id
        ledger.execute(
            CreateTransfer(tenant.id, world, hot, Decimal(10**9), "CNY", TransferType.TOPUP)
        )

        def order(number: int, index: int) -> None:
            pay(ledger, tenant.id, hot, revenue, f"ORD-{number}-{index}")

        return measure(ledger, CLIENT_THREADS, orders // CLIENT_THREADS, order)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql-url", help="an empty, disposable PostgreSQL database")
    parser.add_argument("--orders", type=int, default=6_400)
    arguments = parser.parse_args()
    group_commit = Settings().engine_max_batch_commands
    systems: list[tuple[str, Pay, int]] = [
        ("raw transfers, group commit", pay_raw, group_commit),
        ("order steps, group commit", pay_step, group_commit),
        ("order steps, one transaction each", pay_step, 1),
    ]
    with tempfile.TemporaryDirectory() as directory:
        targets = [("sqlite", f"sqlite:///{Path(directory) / 'bench.db'}")]
        if arguments.postgresql_url:
            targets.append(("postgresql", arguments.postgresql_url))
        print(f"{CLIENT_THREADS} client threads, {arguments.orders} order payments, one payer")
        print(
            f"{'database':<11} {'system':<34} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'avg batch':>9} {'ratio':>6}"
        )
        for name, url in targets:
            figures = [
                (label, run(url, pay, batch, arguments.orders)) for label, pay, batch in systems
            ]
            baseline = figures[0][1]["throughput"]
            for label, measured in figures:
                print(
                    f"{name:<11} {label:<34} {measured['throughput']:>9.0f} "
                    f"{measured['p50_ms']:>8.1f} {measured['p99_ms']:>8.1f} "
                    f"{measured['average_batch']:>9.1f} {measured['throughput'] / baseline:>5.2f}x"
                )
        print("verify: clean on every database written")


if __name__ == "__main__":
    main()
