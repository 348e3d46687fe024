"""`Database.reading()`: the reads of one request share a single connection and transaction."""

from __future__ import annotations

from sqlalchemy import text

from tallybook.storage.database import Database


def test_reads_inside_reading_share_one_connection(any_database: Database) -> None:
    with any_database.reading():
        with any_database.read() as first, any_database.read() as second:
            assert first is second
        with any_database.read() as later:
            assert later is first


def test_reads_outside_reading_get_their_own_connection(any_database: Database) -> None:
    with any_database.reading(), any_database.read() as inside:
        pass
    with any_database.read() as outside:
        assert outside is not inside
        assert outside.execute(text("SELECT 1")).scalar_one() == 1


def test_a_write_inside_reading_uses_its_own_transaction(any_database: Database) -> None:
    with (
        any_database.reading(),
        any_database.read() as reading_connection,
        any_database.write() as writing_connection,
    ):
        assert writing_connection is not reading_connection
