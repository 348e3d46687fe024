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


def test_on_postgresql_it_never_prepares_a_statement_on_the_server(
    postgres_migrated: str,
) -> None:
    """A generic plan settled while the tables were empty must not stay with a connection
    that lives as long as the server, and the pool's connections keep psycopg's default."""
    database = postgres_database(postgres_migrated)
    prepared = "SELECT count(*) FROM pg_prepared_statements"
    try:
        connection = database.write_connection()
        for _ in range(10):
            connection.execute(select(tenants.c.id).where(tenants.c.name == "anyone"))
        prepared_on_the_write_connection = connection.exec_driver_sql(prepared).scalar_one()
        connection.close()
        with database.engine.connect() as pooled:
            for _ in range(10):
                pooled.execute(select(tenants.c.id).where(tenants.c.name == "anyone"))
            prepared_on_a_pooled_connection = pooled.exec_driver_sql(prepared).scalar_one()
    finally:
        database.dispose()

    assert prepared_on_the_write_connection == 0
    assert prepared_on_a_pooled_connection >= 1
