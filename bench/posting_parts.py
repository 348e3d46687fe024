"""Parts of a posting batch, the engine's way against the way before session 17, side by side
in one process, each figure the median of several rounds:

1. the lock statements on PostgreSQL, on a fresh database of 10,000 funded accounts that has
   no planner statistics (as before the first ANALYZE, or with autovacuum off): the server's
   time (EXPLAIN ANALYZE) for `id = ANY(:ids)` (before) and for the engine's statements
   (`posting_repository._locked_one_by_one`), at 30 to 1,001 ids;
2. the account lock's Python: the CPU a call takes for 54 accounts (a uniform W1 batch),
   the statement before (every account's metadata, the status and kind enums called by value)
   against `lock_accounts`;
3. a transfer's request hash: `json.dumps` (before) against `request_hash`.

    .venv/bin/python bench/posting_parts.py [--postgresql-url SERVER_URL]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
import timeit
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from suite.postgres import drop_database, recreate_database
from suite.tallybook_setup import prepare_write_database
from tallybook.ledger import commands
from tallybook.ledger.ids import new_id
from tallybook.model import AccountKind, AccountStatus, TransferType
from tallybook.storage import posting_repository
from tallybook.storage.database import Database
from tallybook.storage.locked_rows import LockedAccount
from tallybook.storage.tables import accounts

DATABASE_NAME = "tb_bench_posting_parts"
ACCOUNTS = 10_000
ROUNDS = 7
W1_BATCH_ACCOUNTS = 54
BEFORE_ACCOUNT_LOCK = (
    "SELECT id, tenant_id, external_id, status, kind, metadata FROM accounts "
    "WHERE id = ANY(%(account_ids)s) ORDER BY id FOR SHARE"
)
BEFORE_BALANCE_LOCK = (
    "SELECT account_id, currency, tenant_id, posted, held, credit_limit, version, "
    "last_sequence, last_entry_hash, last_entry_at FROM balances "
    "WHERE currency = ANY(%(currencies)s) AND account_id = ANY(%(account_ids)s) "
    "ORDER BY account_id, currency FOR UPDATE"
)


def median_of_rounds(measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(ROUNDS))


def median_server_ms(connection: Connection, sql: str, parameters: dict[str, Any]) -> float:
    return median_of_rounds(lambda: server_ms(connection, sql, parameters))


def median_call_us(function: Callable[[], object], count: int = 20_000) -> float:
    return median_of_rounds(lambda: timeit.timeit(function, number=count) / count * 1e6)


def server_ms(connection: Connection, sql: str, parameters: dict[str, Any]) -> float:
    """The statement's execution time on the server, its locks released afterwards."""
    plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE) {sql}", parameters).fetchall()
    connection.rollback()
    found = re.search(r"Execution Time: ([\d.]+)", "\n".join(row[0] for row in plan))
    assert found is not None
    return float(found.group(1))


def lock_plans(connection: Connection, ids: list[UUID]) -> None:
    engine_accounts = str(
        posting_repository._lock_accounts_query().compile(dialect=connection.dialect)
    )
    engine_balances = str(
        posting_repository._lock_balances_query().compile(dialect=connection.dialect)
    )
    print("1. lock statements, server ms (median of rounds), no planner statistics")
    print(f"{'ids':>6} {'accounts ANY':>13} {'engine':>8} {'balances ANY':>13} {'engine':>8}")
    for count in (30, 54, 64, 200, 1001):
        wanted = sorted(random.sample(ids, count))
        accounts_only = {"account_ids": wanted}
        with_currency = {"account_ids": wanted, "currencies": ["CNY"]}
        figures = [
            median_server_ms(connection, sql, parameters)
            for sql, parameters in (
                (BEFORE_ACCOUNT_LOCK, accounts_only),
                (engine_accounts, accounts_only),
                (BEFORE_BALANCE_LOCK, with_currency),
                (engine_balances, with_currency),
            )
        ]
        print(
            f"{count:>6} "
            + " ".join(f"{f:>{w}.3f}" for f, w in zip(figures, (13, 8, 13, 8), strict=True))
        )


def lock_accounts_before(connection: Connection, account_ids: list[UUID]) -> dict[UUID, Any]:
    """The account lock as it was before session 17, statement and conversion."""
    query = (
        select(
            accounts.c.id,
            accounts.c.tenant_id,
            accounts.c.external_id,
            accounts.c.status,
            accounts.c.kind,
            accounts.c.metadata,
        )
        .where(accounts.c.id == any_(bindparam("account_ids", type_=ARRAY(accounts.c.id.type))))
        .order_by(accounts.c.id)
        .with_for_update(read=True)
    )
    return {
        row[0]: LockedAccount(
            row[0], row[1], row[2], AccountStatus(row[3]), AccountKind(row[4]), row[5]
        )
        for row in connection.execute(query, {"account_ids": sorted(account_ids)})
    }


def account_lock_python(connection: Connection, ids: list[UUID]) -> None:
    samples = [random.sample(ids, W1_BATCH_ACCOUNTS) for _ in range(200)]

    def cpu_us(lock: Callable[[Connection, list[UUID]], object]) -> float:
        started = time.process_time()
        for sample in samples:
            lock(connection, sample)
            connection.rollback()
        return (time.process_time() - started) / len(samples) * 1e6

    before, now = [], []
    for _ in range(ROUNDS):  # in turn, so a drift of the machine touches both
        before.append(cpu_us(lock_accounts_before))
        now.append(cpu_us(posting_repository.lock_accounts))
    print(f"\n2. the account lock's Python, {W1_BATCH_ACCOUNTS} accounts, us of CPU a call")
    print(
        f"   before {statistics.median(before):,.0f}   lock_accounts {statistics.median(now):,.0f}"
    )


def request_hash_cost() -> None:
    transfer = commands.CreateTransfer(
        new_id(), new_id(), new_id(), Decimal("0.01"), "CNY", TransferType.ORDER_PAYMENT
    )

    def before() -> str:
        return commands._sha256(commands._canonical_json(commands._content(transfer)))

    assert before() == commands.request_hash(transfer)
    figures = [median_call_us(before), median_call_us(lambda: commands.request_hash(transfer))]
    print("\n3. a W2 transfer's request hash, us")
    print(f"   json.dumps {figures[0]:.1f}   request_hash {figures[1]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql-url", default="postgresql://postgres@127.0.0.1:5432")
    arguments = parser.parse_args()
    url = recreate_database(arguments.postgresql_url, DATABASE_NAME)
    try:
        with TemporaryDirectory() as directory:
            prepare_write_database(
                url, ACCOUNTS, Path(directory) / "accounts.txt", fund_customers=True
            )
        database = Database(url)  # connections set up as the engine's are
        with database.engine.connect() as connection:
            ids = [row[0] for row in connection.execute(text("SELECT id FROM accounts"))]
            connection.rollback()
            random.seed(17)
            lock_plans(connection, ids)
            account_lock_python(connection, ids)
        database.dispose()
        request_hash_cost()
    finally:
        drop_database(arguments.postgresql_url, DATABASE_NAME)


if __name__ == "__main__":
    main()
