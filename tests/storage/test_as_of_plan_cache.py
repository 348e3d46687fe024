"""The as-of read on PostgreSQL is planned once per connection, not at every run.

Why a plan-cache test: psycopg prepares a statement run five times on a connection, and
PostgreSQL then keeps one generic plan for it only if that plan costs about what the plans
for each run's own values did. With its LIMITs bound, the as-of statement's generic plan was
costed as a scan of a tenth of each chain, so PostgreSQL planned it again at every run, 0.15 to
0.2 ms of a 0.25 ms read on the server, and answers were right either way: no behaviour test
could see it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.model import SystemAccount, TransferType
from tests.conftest import postgres_database

# psycopg prepares at the fifth run; PostgreSQL plans the first five runs of a prepared
# statement for their own values before it weighs a generic plan.
RUNS = 15
EARLIER_ENTRIES = 50_000


def test_the_as_of_read_settles_on_one_generic_plan(postgres_migrated: str) -> None:
    database = postgres_database(postgres_migrated)
    try:
        with Ledger(database) as ledger:
            shop = ledger.create_tenant("Shop")
            ledger.configure_currency(shop.id, "CNY")
            alice = ledger.create_account(shop.id, "alice", "Alice")
            world = ledger.system_account(shop.id, SystemAccount.WORLD, "CNY")
            top_ups = [
                ledger.execute(
                    CreateTransfer(
                        shop.id, world.id, alice.id, Decimal("1.00"), "CNY", TransferType.TOPUP
                    )
                )
                for _ in range(3)
            ]
        with database.engine.begin() as connection:
            # A long chain before those entries, and the statistics that describe it: on a
            # small table without them every plan costs about the same.
            connection.exec_driver_sql(
                "INSERT INTO entries (tenant_id, transfer_id, account_id, currency, amount, "
                "balance_before, balance_after, sequence, created_at, hash) "
                "SELECT %(tenant)s, %(transfer)s, %(account)s, 'CNY', 0, 0, 0, -n, "
                "now() - interval '1 second' * n, repeat('0', 64) "
                "FROM generate_series(1, %(count)s) AS n",
                {
                    "tenant": shop.id,
                    "transfer": top_ups[0].transfers[0].id,
                    "account": alice.id,
                    "count": EARLIER_ENTRIES,
                },
            )
            connection.exec_driver_sql("ANALYZE entries")
            connection.exec_driver_sql("ANALYZE balances")
        with Ledger(database) as ledger:
            moment = datetime.now(UTC) + timedelta(minutes=1)
            with ledger.reading():
                answers = [
                    ledger.balances_as_of(shop.id, alice.id, moment, with_sub_accounts=False)
                    for _ in range(RUNS)
                ]
                with database.read() as connection:
                    plans = connection.exec_driver_sql(
                        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                        "WHERE strpos(statement, 'balance_after') > 0"
                    ).all()
    finally:
        database.dispose()

    assert {answer[0].posted for answer in answers} == {300}
    assert len(plans) == 1, plans
    generic_plans, custom_plans = plans[0]
    assert generic_plans == RUNS - 10 and custom_plans == 5, plans
