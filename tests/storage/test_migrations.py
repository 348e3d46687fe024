"""Migrations: they build the schema the code describes, and go down and up again cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tallybook.storage import migrate
from tallybook.storage.database import Database
from tallybook.storage.tables import metadata


def test_the_migrated_schema_matches_the_tables_module(any_database: Database) -> None:
    with any_database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
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
