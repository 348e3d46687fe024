"""The seed surfaces against the native history list, on the same data, in one process.

An agent with a sub-agent and N entries of history (SQLite file, or PostgreSQL with
--postgresql-url). Each surface is asked for its first page and for a page deep in the
history, through the ASGI app in process (no network), and timed beside the native
`/v1/entries` page of the same size: the baseline is keyset pagination, the seeds page by
offset and count the whole list, which is what their envelopes demand.

    .venv/bin/python bench/seed_surfaces.py [--postgresql-url URL] [--entries N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from tallybook.api.app import create_app
from tallybook.auth.keys import issue_key
from tallybook.ledger import CreateTransfer, Ledger, TransferBatch
from tallybook.model import References, Role, SystemAccount, TransferType
from tallybook.storage import migrate
from tallybook.storage.database import Database

PAGE = 100
REPEATS = 30
BATCH = 1000


def fill(ledger: Ledger, entries: int) -> tuple[str, str]:
    """An agent and a sub-agent with `entries` lines between them; (admin key, agent key)."""
    tenant = ledger.create_tenant("bench", time_zone="Asia/Shanghai")
    ledger.configure_currency(tenant.id, "USD", 3)
    agent = ledger.create_account(tenant.id, "agent", "Agent").id
    sub = ledger.create_account(tenant.id, "sub", "Sub-agent", parent_id=agent).id
    world = ledger.system_account(tenant.id, SystemAccount.WORLD, "USD").id
    revenue = ledger.system_account(tenant.id, SystemAccount.REVENUE, "USD").id
    ledger.execute(
        CreateTransfer(tenant.id, world, agent, Decimal(10**9), "USD", TransferType.TOPUP)
    )
    written = 1
    while written < entries:
        # Per three transfers: the agent funds the sub-agent, then each pays an order.
        steps = (
            (agent, sub, TransferType.ALLOCATION),
            (agent, revenue, TransferType.ORDER_PAYMENT),
            (sub, revenue, TransferType.ORDER_PAYMENT),
        )
        members = tuple(
            CreateTransfer(
                tenant.id,
                steps[n % 3][0],
                steps[n % 3][1],
                Decimal("1.125"),
                "USD",
                steps[n % 3][2],
                References(order_number=f"ORD-{written + n}", country_code="US"),
            )
            for n in range(BATCH)
        )
        ledger.execute(TransferBatch(tenant.id, members))
        written += sum(2 if n % 3 == 0 else 1 for n in range(BATCH))
    admin = issue_key(ledger, tenant.id, "admin", Role.ADMIN)[1]
    agent_key = issue_key(ledger, tenant.id, "agent", Role.READ, agent)[1]
    return admin, agent_key


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """(p50, p99) in milliseconds over REPEATS calls, after one warm-up."""
    call()
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def run(url: str, entries: int) -> None:
    database = Database(url)
    migrate.downgrade(database, "base")
    migrate.upgrade(database)
    with Ledger(database) as ledger:
        admin, agent_key = fill(ledger, entries)
        # Planner statistics, as a database that has been running a while has them.
        with database.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
        client = TestClient(create_app(ledger=ledger))
        native_headers = {"Authorization": f"Bearer {admin}"}
        agent_id = client.get("/v1/accounts", headers=native_headers).json()["data"][-1]["id"]
        deep_page = entries // 2 // PAGE

        def native() -> object:
            return client.get(
                "/v1/entries",
                params={"account_id": agent_id, "include_sub_accounts": "true", "limit": PAGE},
                headers=native_headers,
            ).json()

        def directmail(page: int) -> Callable[[], object]:
            return lambda: client.get(
                "/user/scoreLogList",
                params={"page": page, "pageSize": PAGE},
                headers={"x-token": agent_key},
            ).json()

        def certcentral(offset: int) -> Callable[[], object]:
            return lambda: client.get(
                "/services/v2/finance/balance-history",
                params={"container_id": 1, "limit": PAGE, "offset": offset},
                headers={"X-DC-DEVKEY": agent_key},
            ).json()

        rows = [
            ("native /v1/entries, first page (baseline)", timed(native)),
            ("DirectMail scoreLogList, page 1", timed(directmail(1))),
            (f"DirectMail scoreLogList, page {deep_page}", timed(directmail(deep_page))),
            ("CertCentral balance-history, offset 0", timed(certcentral(0))),
            (
                f"CertCentral balance-history, offset {deep_page * PAGE}",
                timed(certcentral(deep_page * PAGE)),
            ),
        ]
        baseline = rows[0][1][0]
        print(f"\n{database.engine.dialect.name}, {entries} entries, pages of {PAGE}")
        print(f"{'request':<48} {'p50 ms':>8} {'p99 ms':>8} {'p50 / baseline':>15}")
        for name, (p50, p99) in rows:
            print(f"{name:<48} {p50:>8.2f} {p99:>8.2f} {p50 / baseline:>15.2f}")
        report = ledger.verify()
        print("verify:", "ok" if report.ok else report.render())
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql-url", help="also run on this (disposable) database")
    parser.add_argument("--entries", type=int, default=50_000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        run(f"sqlite:///{Path(directory) / 'bench.db'}", arguments.entries)
    if arguments.postgresql_url:
        run(arguments.postgresql_url, arguments.entries)


if __name__ == "__main__":
    main()
