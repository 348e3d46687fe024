"""`Database.write_connection()`: the posting engine's own connection, kept between batches."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import insert, select

from tallybook.storage.database import Database
from tallybook.storage.tables import tenants
from tests.conftest import postgres_database


def test_a_write_connection_commits_each_of_its_transactions(any_database: Database) -> None:
    connection = any_database.write_connection()
    try:
        for number in range(3):
            with connection.begin():
                connection.execute(
                    insert(tenants).values(
                        id=uuid4(), name=f"tenant {number}", created_at=datetime.now(UTC)
                    )
                )
    finally:
        connection.close()

    with any_database.read() as reading:
        names = reading.execute(select(tenants.c.name).order_by(tenants.c.name)).scalars().all()
    assert names == ["tenant 0", "tenant 1", "tenant 2"]


def test_on_postgresql_it_plans_each_statement_for_its_own_parameters(
    postgres_migrated: str,
) -> None:
    """A generic plan settled while the tables were empty must not stay with a connection
    that lives as long as the server; the setting stays with that connection alone."""
    database = postgres_database(postgres_migrated)
    try:
        connection = database.write_connection()
        setting = connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
        connection.close()
        with database.engine.connect() as pooled:
            pooled_setting = pooled.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
    finally:
        database.dispose()

    assert setting == "force_custom_plan"
    assert pooled_setting == "auto"
