"""`verify` finds drift: a tampered entry or balance is named, a clean ledger passes."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

from sqlalchemy import text

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.verify import VerifyReport
from tallybook.model import TransferType
from tallybook.storage.database import Database
from tests.support import open_book, top_up


def history(ledger: Ledger) -> tuple[str, int]:
    """A small ledger; returns (tenant currency, id of Alice's second entry)."""
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    ledger.execute(
        CreateTransfer(
            book.tenant.id, book.alice, book.bob, Decimal("30"), "CNY", TransferType.ALLOCATION
        )
    )
    top_up(ledger, book, book.alice, "5.00")
    return book.currency, ledger.entries(book.tenant.id, book.alice)[1].id


def alice_pays_bob(ledger: Ledger) -> UUID:
    """Alice topped up and paying Bob 30.00; the id of that payment."""
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "100.00")
    payment = CreateTransfer(
        book.tenant.id, book.alice, book.bob, Decimal("30"), "CNY", TransferType.ALLOCATION
    )
    return ledger.execute(payment).transfer.id


def tamper(database: Database, statement: str) -> None:
    """Change history behind the ledger's back, as someone with database access could.

    The append-only triggers must be bypassed first: dropped on SQLite, disabled for this
    session on PostgreSQL (session_replication_role=replica skips ordinary triggers).
    """
    with database.engine.begin() as connection:
        if database.is_sqlite:
            connection.execute(text("DROP TRIGGER entries_refuse_update"))
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(statement))


def test_a_clean_ledger_verifies(ledger: Ledger) -> None:
    history(ledger)
    report = ledger.verify()
    assert report.ok, report.render()
    assert report.counts["entries"] == 6
    assert "clean" in report.render()


def test_a_tampered_entry_amount_is_found_and_named(ledger: Ledger, any_database: Database) -> None:
    _, entry_id = history(ledger)
    tamper(
        any_database,
        f"UPDATE entries SET amount = -2000, balance_after = 8000 WHERE id = {entry_id}",
    )

    report = ledger.verify()

    assert not report.ok
    assert report.problems[0].startswith(f"entry {entry_id} ")
    assert "hash does not match" in report.problems[0]


def test_a_tampered_amount_alone_breaks_the_arithmetic(
    ledger: Ledger, any_database: Database
) -> None:
    _, entry_id = history(ledger)
    tamper(any_database, f"UPDATE entries SET amount = -2000 WHERE id = {entry_id}")

    report = ledger.verify()

    assert f"entry {entry_id} " in report.problems[0]
    assert "is not" in report.problems[0]
    assert any("do not move exactly" in problem for problem in report.problems)


def break_a_reference(database: Database, statement: str, trigger: str) -> None:
    """`tamper`, for a change that breaks a reference between the posting rows. PostgreSQL
    has no foreign keys on them; on SQLite, whose foreign keys could refuse it, they are
    turned off for the change (outside a transaction, where the pragma takes effect) and
    `trigger`, the append-only one in the way, dropped."""
    if not database.is_sqlite:
        tamper(database, statement)
        return
    connection = database.engine.raw_connection()
    try:
        sqlite = connection.driver_connection
        assert sqlite is not None
        sqlite.execute("PRAGMA foreign_keys = OFF")
        sqlite.execute(f"DROP TRIGGER {trigger}")
        sqlite.execute(statement)
        sqlite.execute("PRAGMA foreign_keys = ON")
    finally:
        connection.close()


def test_an_entry_whose_transfer_does_not_exist_is_found(
    ledger: Ledger, any_database: Database
) -> None:
    _, entry_id = history(ledger)
    break_a_reference(
        any_database,
        f"UPDATE entries SET transfer_id = '{uuid4().hex}' WHERE id = {entry_id}",
        "entries_refuse_update",
    )

    report = ledger.verify()

    assert any(
        problem.startswith(f"entry {entry_id}: its transfer ") and "does not exist" in problem
        for problem in report.problems
    ), report.render()


def verify_after_repointing_a_payment(
    ledger: Ledger, database: Database, column: str, account_id: UUID
) -> tuple[UUID, VerifyReport]:
    """Alice's payment to Bob with its `column` (an account) set to `account_id` behind the
    ledger's back; the payment's id and what verify then reports."""
    transfer_id = alice_pays_bob(ledger)
    break_a_reference(
        database,
        f"UPDATE transfers SET {column} = '{account_id.hex}' WHERE id = '{transfer_id.hex}'",
        "transfers_refuse_update",
    )
    return transfer_id, ledger.verify()


def test_a_transfer_whose_account_does_not_exist_is_found(
    ledger: Ledger, any_database: Database
) -> None:
    transfer_id, report = verify_after_repointing_a_payment(
        ledger, any_database, "credit_account_id", uuid4()
    )

    assert (
        f"transfer {transfer_id}: its credit account does not exist or is another tenant's"
        in report.problems
    ), report.render()
    assert any(
        problem.endswith("is another tenant's or moves neither its account")
        for problem in report.problems
    )


def test_a_transfer_naming_another_tenants_account_is_found(
    ledger: Ledger, any_database: Database
) -> None:
    other_tenant = ledger.create_tenant("Other Platform")
    stranger = ledger.create_account(other_tenant.id, "stranger", "Stranger").id

    transfer_id, report = verify_after_repointing_a_payment(
        ledger, any_database, "debit_account_id", stranger
    )

    assert (
        f"transfer {transfer_id}: its debit account does not exist or is another tenant's"
        in report.problems
    ), report.render()


def test_a_balance_changed_without_an_entry_is_found(
    ledger: Ledger, any_database: Database
) -> None:
    history(ledger)
    with any_database.engine.begin() as connection:
        connection.execute(text("UPDATE balances SET posted = posted + 1 WHERE posted = 7500"))

    report = ledger.verify()

    assert not report.ok
    assert any("posted 7501, entries say 7500" in problem for problem in report.problems)
    assert any("sum to 1, not 0" in problem for problem in report.problems)


def test_a_held_amount_without_a_hold_is_found(ledger: Ledger, any_database: Database) -> None:
    history(ledger)
    with any_database.engine.begin() as connection:
        connection.execute(text("UPDATE balances SET held = 100 WHERE posted = 7500"))

    report = ledger.verify()

    assert any("held 100, open holds sum to 0" in problem for problem in report.problems)


def test_history_tables_refuse_updates_and_deletes(ledger: Ledger, any_database: Database) -> None:
    _, entry_id = history(ledger)
    for statement in (
        f"UPDATE entries SET amount = 1 WHERE id = {entry_id}",
        f"DELETE FROM entries WHERE id = {entry_id}",
        "UPDATE transfers SET amount = 1",
        "UPDATE transfers SET status = 'voided'",
        "DELETE FROM transfers",
        *(() if any_database.is_sqlite else ("TRUNCATE entries", "TRUNCATE transfers CASCADE")),
    ):
        try:
            with any_database.engine.begin() as connection:
                connection.execute(text(statement))
        except Exception as refused:
            assert "append-only" in str(refused), statement
        else:
            raise AssertionError(f"the database accepted: {statement}")
    assert ledger.verify().ok
