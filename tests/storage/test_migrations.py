"""Migrations: they build the schema the code describes, and go down and up again cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from tallybook.ledger import Ledger
from tallybook.ledger.queries import EntryQuery, Window
from tallybook.storage import migrate
from tallybook.storage.database import Database
from tallybook.storage.tables import (
    entries,
    exists_on,
    is_archive_partition,
    metadata,
    tenants,
)
from tests.support import Book, ManualClock, open_book, top_up


def test_the_migrated_schema_matches_the_tables_module(any_database: Database) -> None:
    with any_database.engine.connect() as connection:
        dialect_name = connection.dialect.name
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": lambda name, _kind, _parent: not is_archive_partition(name or ""),
                "include_object": lambda item, *_: exists_on(item, dialect_name),
            },
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrations_go_down_to_nothing_and_up_again(any_database: Database) -> None:
    assert migrate.current_revision(any_database) == migrate.head_revision()

    migrate.downgrade(any_database, "base")
    assert set(inspect(any_database.engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(any_database)
    assert migrate.current_revision(any_database) == migrate.head_revision()
    assert {table.name for table in metadata.sorted_tables} <= set(
        inspect(any_database.engine).get_table_names()
    )


def a_top_up_archived_and_one_live(ledger: Ledger, clock: ManualClock) -> Book:
    """Alice's first top-up, 400 days old, archived; her second live."""
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "10.00")
    clock.advance(400 * 24 * 3600)
    top_up(ledger, book, book.alice, "2.00")
    ledger.archive(book.tenant.id, older_than_months=6)
    return book


def test_0004_goes_down_and_up_with_archived_history_in_place(
    any_database: Database, clock: ManualClock
) -> None:
    with Ledger(any_database, clock=clock) as ledger:
        book = a_top_up_archived_and_one_live(ledger, clock)
        before = ledger.entries(book.tenant.id, book.alice)

    migrate.downgrade(any_database, "0002")  # archived rows go back to the live table
    with any_database.read() as connection:
        live = connection.execute(select(func.count()).select_from(entries)).scalar_one()
    migrate.upgrade(any_database)

    with Ledger(any_database, clock=clock) as ledger:
        assert ledger.entries(book.tenant.id, book.alice) == before
        assert ledger.verify().ok
    assert live == 4


def test_0008_records_the_newest_moment_of_an_archive_already_in_place(
    any_database: Database, clock: ManualClock
) -> None:
    archived_at = clock.now()
    with Ledger(any_database, clock=clock) as ledger:
        book = a_top_up_archived_and_one_live(ledger, clock)
        newest_first = ledger.list_entries(EntryQuery(book.tenant.id), Window(limit=10))

    migrate.downgrade(any_database, "0007")
    migrate.upgrade(any_database)

    with any_database.read() as connection:
        query = select(tenants.c.archived_through).where(tenants.c.id == book.tenant.id)
        assert connection.execute(query).scalar_one() == archived_at
    with Ledger(any_database, clock=clock) as ledger:
        again = ledger.list_entries(EntryQuery(book.tenant.id), Window(limit=10))
        assert again == newest_first and len(again.items) == 4
        assert ledger.verify().ok


def test_a_database_is_ready_only_at_this_versions_newest_schema(any_database: Database) -> None:
    migrate.check_ready(any_database.url)

    head = migrate.head_revision()
    migrate.downgrade(any_database, "-1")
    older = migrate.current_revision(any_database)
    with pytest.raises(migrate.DatabaseNotReady) as behind:
        migrate.check_ready(any_database.url)
    migrate.upgrade(any_database)

    assert f"at schema revision {older}; this version of Tallybook needs {head}" in str(
        behind.value
    )
    assert "run `tallybook migrate --database-url" in str(behind.value)
    migrate.check_ready(any_database.url)


def test_a_schema_from_a_newer_version_is_named_as_such(any_database: Database) -> None:
    with any_database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_later'"))
    try:
        with pytest.raises(migrate.DatabaseNotReady) as unknown:
            migrate.check_ready(any_database.url)
    finally:
        with any_database.engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"),
                {"head": migrate.head_revision()},
            )

    assert "at schema revision 9999_from_later, which this version of Tallybook does not know" in (
        str(unknown.value)
    )


def test_a_database_without_tables_has_no_schema(any_database: Database) -> None:
    migrate.downgrade(any_database, "base")
    try:
        with pytest.raises(migrate.DatabaseNotReady, match="has no Tallybook schema; run"):
            migrate.check_ready(any_database.url)
    finally:
        migrate.upgrade(any_database)
