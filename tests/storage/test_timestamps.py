"""Timestamps come back as aware UTC datetimes on both databases, whatever zone they were
written in and whatever zone the PostgreSQL server runs in."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from tallybook.storage.database import Database
from tallybook.storage.tables import tenants
from tallybook.storage.types import UtcDateTime
from tests.conftest import postgres_database

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_moment_written_in_any_zone_reads_back_as_the_same_moment_in_utc(
    any_database: Database,
) -> None:
    written = datetime(2026, 3, 1, 20, 30, 15, 123456, tzinfo=SHANGHAI)
    with any_database.write() as connection:
        connection.execute(insert(tenants).values(id=uuid4(), name="shop", created_at=written))

    with any_database.reading(), any_database.read() as connection:
        read = connection.execute(select(tenants.c.created_at)).scalar_one()

    assert read == written
    assert read.tzinfo is UTC
    assert read.isoformat() == "2026-03-01T12:30:15.123456+00:00"


def test_postgresql_sessions_run_in_utc_whatever_the_server_says(
    postgres_migrated: str,
) -> None:
    """Debian's servers default to 'Etc/UTC': the same instant, but psycopg then hands back
    a zone Python must convert from on every timestamp read."""
    database = postgres_database(postgres_migrated)
    try:
        with database.engine.connect() as pooled:
            pooled_zone = pooled.exec_driver_sql("SHOW TimeZone").scalar_one()
            moment = pooled.exec_driver_sql("SELECT now()").scalar_one()
        writing = database.write_connection()
        writing_zone = writing.exec_driver_sql("SHOW TimeZone").scalar_one()
        writing.close()
    finally:
        database.dispose()

    assert (pooled_zone, writing_zone) == ("UTC", "UTC")
    assert moment.tzinfo is UTC


def test_the_column_type_converts_only_what_is_not_already_utc() -> None:
    column = UtcDateTime()
    utc = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    dialect = Database("sqlite://").engine.dialect

    converted = column.process_result_value(utc.astimezone(SHANGHAI), dialect)

    assert column.process_result_value(utc, dialect) is utc
    assert converted == utc and converted.tzinfo is UTC
    assert column.process_result_value(utc.replace(tzinfo=None), dialect) == utc
    assert column.process_result_value(None, dialect) is None
