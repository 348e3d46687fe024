"""The engine's lock statements on SQLite (`storage.sqlite_locks`): one index probe an id,
and rows that read back as the SQLAlchemy statements read them."""

from __future__ import annotations

from sqlalchemy import select

from tallybook.ledger import Ledger
from tallybook.storage import sqlite_locks
from tallybook.storage.database import Database
from tallybook.storage.posting_repository import lock_accounts, lock_balances
from tallybook.storage.tables import accounts, balances
from tests.support import open_book, top_up


def _plan(database: Database, sql: str, parameters: tuple[str, ...]) -> str:
    with database.read() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).fetchall()
    return "\n".join(str(row[-1]) for row in rows)


def test_the_account_lock_probes_the_primary_key(sqlite_database: Database) -> None:
    plan = _plan(sqlite_database, sqlite_locks.ACCOUNT_ROWS_SQL, ("[]",))

    assert "SEARCH accounts USING INDEX sqlite_autoindex_accounts_1 (id=?)" in plan, plan
    assert "SCAN accounts" not in plan, plan


def test_the_balance_lock_probes_the_primary_key(sqlite_database: Database) -> None:
    plan = _plan(sqlite_database, sqlite_locks.BALANCE_ROWS_SQL, ("[]", "[]"))

    assert "SEARCH balances USING INDEX sqlite_autoindex_balances_1 " in plan, plan
    assert "(account_id=? AND currency=?)" in plan, plan
    assert "SCAN balances" not in plan, plan


def test_locked_rows_read_back_as_the_tables_hold_them(sqlite_database: Database) -> None:
    with Ledger(sqlite_database) as ledger:
        book = open_book(ledger)
        top_up(ledger, book, book.alice, "10.00")
    wanted = [book.alice, book.bob, book.world]
    with sqlite_database.write() as connection:
        locked_accounts = lock_accounts(connection, wanted)
        keys = [(book.alice, "CNY"), (book.bob, "CNY")]
        locked_balances = lock_balances(connection, keys, {a: book.tenant.id for a in wanted})
        account_rows = connection.execute(
            select(accounts.c.id, accounts.c.tenant_id, accounts.c.external_id)
        ).all()
        world_metadata = connection.execute(
            select(accounts.c.metadata).where(accounts.c.id == book.world)
        ).scalar_one()
        alice_balance = connection.execute(
            select(balances).where(balances.c.account_id == book.alice)
        ).one()

    assert {
        account.id: (account.tenant_id, account.external_id) for account in locked_accounts.values()
    } == {row.id: (row.tenant_id, row.external_id) for row in account_rows if row.id in wanted}
    assert locked_accounts[book.world].metadata == world_metadata != {}
    assert locked_accounts[book.alice].metadata == {}  # a customer's is never read
    alice = locked_balances[(book.alice, "CNY")]
    assert (alice.tenant_id, alice.posted, alice.last_sequence, alice.last_entry_hash) == (
        alice_balance.tenant_id,
        alice_balance.posted,
        alice_balance.last_sequence,
        alice_balance.last_entry_hash,
    )
    assert alice.last_entry_at == alice_balance.last_entry_at and not alice.is_new
    assert locked_balances[(book.bob, "CNY")].is_new
