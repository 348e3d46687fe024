"""PostgreSQL's pooled connections are pinged before use only after sitting idle: a dead one
is then replaced unseen; one that died within the idle threshold fails a single read."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tallybook.storage import database as database_module
from tallybook.storage.database import Database
from tests.conftest import postgres_database


@pytest.fixture
def pinged(postgres_migrated: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PingCounter]:
    database = postgres_database(postgres_migrated)
    counter = PingCounter(database)
    monkeypatch.setattr(database.engine.dialect, "do_ping", counter.ping)
    yield counter
    database.dispose()


class PingCounter:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.pings = 0
        self._ping = database.engine.dialect.do_ping

    def ping(self, dbapi_connection: object) -> bool:
        self.pings += 1
        return self._ping(dbapi_connection)  # type: ignore[arg-type]

    def backend(self) -> int:
        """The server process of the connection a read gets."""
        with self.database.reading(), self.database.read() as connection:
            return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def terminate(self, backend: int) -> None:
        """End that server process from outside the pool, as an administrator would."""
        with psycopg.connect(
            self.database.engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False
            ),
            autocommit=True,
        ) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (backend,))


def test_a_connection_returned_a_moment_ago_is_handed_out_without_a_ping(
    pinged: PingCounter,
) -> None:
    first = pinged.backend()
    again = pinged.backend()

    assert again == first
    assert pinged.pings == 0


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced_unseen(
    pinged: PingCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = pinged.backend()
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    pinged.terminate(first)

    replaced = pinged.backend()

    assert replaced != first
    assert pinged.pings >= 1


def test_a_connection_that_died_within_the_threshold_fails_one_read_only(
    pinged: PingCounter,
) -> None:
    """The price of not pinging every checkout, and its bound: the failure invalidates the
    pool, so the next read gets a new connection."""
    first = pinged.backend()
    pinged.terminate(first)

    with pytest.raises(OperationalError) as failed:
        pinged.backend()
    after = pinged.backend()

    assert failed.value.connection_invalidated
    assert after != first
