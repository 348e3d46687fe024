"""Busy reads on PostgreSQL are planned once per connection, not at every run.

Why plan-cache tests: psycopg prepares a statement run five times on a connection, and
PostgreSQL then keeps one generic plan for it only if that plan costs about what the plans
for each run's own values did. The as-of read (its LIMITs bound) and a history page (its row
estimate for one account of a long history) did not pass that test, so PostgreSQL planned
them again at every run: more of the read's time on the server than running it, and the
answers right either way, so no behaviour test could see it. On a small table without
statistics every plan costs about the same, so the tests write a long chain first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import Connection

from tallybook.ledger import Ledger
from tallybook.ledger.queries import EntryQuery, Window
from tallybook.model import TransferType
from tallybook.storage.database import Database
from tests.conftest import postgres_database
from tests.support import open_book, top_up

# psycopg prepares a statement at its sixth run on a connection; PostgreSQL plans the first
# five runs of a prepared statement for their own values before it weighs a generic plan.
RUNS = 15
PREPARED_RUNS = RUNS - 5
EARLIER_ENTRIES = 100_000  # half of them Alice's, the rest spread over the other accounts
OTHER_ACCOUNTS = 49
PAGE = 100  # the API's default: a LIMIT of 101 weighs in the plan's cost


@dataclass(frozen=True)
class LongChain:
    database: Database
    tenant_id: UUID
    account_id: UUID


@pytest.fixture
def long_chain(postgres_migrated: str) -> Iterator[LongChain]:
    """Alice, topped up three times after 50,000 earlier entries of hers and as many spread
    over 49 other accounts, with the statistics that describe them."""
    database = postgres_database(postgres_migrated)
    try:
        with Ledger(database) as ledger:
            book = open_book(ledger)
            others = [
                ledger.create_account(book.tenant.id, f"customer-{n}", f"Customer {n}").id
                for n in range(OTHER_ACCOUNTS)
            ]
            for _ in range(3):
                top_up(ledger, book, book.alice, "1.00")
        with database.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO entries (tenant_id, transfer_id, account_id, currency, amount, "
                "balance_before, balance_after, sequence, created_at, hash) "
                "SELECT %(tenant)s, "
                "(SELECT id FROM transfers WHERE credit_account_id = %(alice)s LIMIT 1), "
                "CASE WHEN n %% 2 = 0 THEN %(alice)s ELSE (%(others)s)[1 + n %% %(other_count)s] "
                "END, 'CNY', 0, 0, 0, -n, now() - interval '1 second' * n, repeat('0', 64) "
                "FROM generate_series(1, %(count)s) AS n",
                {
                    "tenant": book.tenant.id,
                    "alice": book.alice,
                    "others": others,
                    "other_count": OTHER_ACCOUNTS,
                    "count": EARLIER_ENTRIES,
                },
            )
            for table in ("entries", "transfers", "balances"):
                connection.exec_driver_sql(f"ANALYZE {table}")
        yield LongChain(database, book.tenant.id, book.alice)
    finally:
        database.dispose()


def _plans(connection: Connection, marker: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of each statement prepared on `connection` that
    contains `marker`."""
    rows = connection.exec_driver_sql(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE strpos(statement, %(marker)s) > 0",
        {"marker": marker},
    )
    return [(generic, custom) for generic, custom in rows]


def test_the_as_of_read_settles_on_one_generic_plan(long_chain: LongChain) -> None:
    moment = datetime.now(UTC) + timedelta(minutes=1)
    with Ledger(long_chain.database) as ledger, ledger.reading():
        answers = [
            ledger.balances_as_of(
                long_chain.tenant_id, long_chain.account_id, moment, with_sub_accounts=False
            )
            for _ in range(RUNS)
        ]
        with long_chain.database.read() as connection:
            plans = _plans(connection, "entries_archive.balance_after")

    assert {answer[0].posted for answer in answers} == {300}
    assert plans == [(PREPARED_RUNS - 5, 5)]


def test_a_history_page_is_planned_once_and_the_session_keeps_its_setting(
    long_chain: LongChain,
) -> None:
    query = EntryQuery(
        long_chain.tenant_id,
        account_ids=frozenset({long_chain.account_id}),
        currency="CNY",
        type=TransferType.TOPUP,
    )
    with Ledger(long_chain.database) as ledger, ledger.reading():
        pages = [ledger.list_entries(query, Window(limit=PAGE)) for _ in range(RUNS)]
        with long_chain.database.read() as connection:
            plans = _plans(connection, "ORDER BY entries.created_at DESC")
            setting = connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one()

    assert {len(page.items) for page in pages} == {PAGE}
    assert plans == [(PREPARED_RUNS, 0)]
    assert setting == "auto"
