"""Opening the database: one place that knows how SQLite and PostgreSQL differ.

SQLite runs in WAL mode with `synchronous=FULL` (an acknowledged transfer survives a power
cut) and write transactions start with `BEGIN IMMEDIATE`, so a writer takes the write lock up
front instead of failing half-way when another process writes. Reads use a plain `BEGIN`.
PostgreSQL uses psycopg 3 and row locks (`SELECT ... FOR UPDATE`) taken by the engine.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import orjson
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MILLISECONDS = 60_000
SQLITE_BUSY = 5  # the primary result code; the extended ones (SQLITE_BUSY_*) share its low byte
# A pooled PostgreSQL connection unused for this long is pinged before its next use.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "tallybook_returned_at"
_WRITE_OPTION = "tallybook_write"


def normalise_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg 3, whatever driver (if any) the operator wrote."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_database_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create the SQLAlchemy engine for `url` with Tallybook's durability settings."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pooling: dict[str, Any] = {}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # Sized like PostgreSQL's: with SQLAlchemy's default (5) the threadpool's
            # concurrent reads kept opening and closing connections, each paying its PRAGMAs.
            pooling = {"pool_size": pool_size, "max_overflow": pool_size}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            json_deserializer=load_json,
            **pooling,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, json_deserializer=load_json
    )
    _configure_postgresql(engine)
    _ping_after_idle(engine)
    return engine


_LONG_NUMBER = re.compile(rb"\d{19}")


def load_json(text: str | bytes | memoryview) -> Any:
    """A JSON column's value. orjson is several times faster (every history row has two JSON
    columns) but reads an integer past 64 bits as a float; a value with a run of 19 digits
    goes to the standard library instead, so nothing stored comes back changed."""
    if len(text) >= 19:
        data = text.encode() if isinstance(text, str) else bytes(text)
        if _LONG_NUMBER.search(data):
            return json.loads(data)
    return orjson.loads(text)


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # psycopg gives a timestamp the session's zone. Named 'UTC' it is Python's own
        # `datetime.UTC`, which UtcDateTime passes through; under any other name (Debian's
        # servers say 'Etc/UTC') every timestamp read was converted again: a twentieth of a
        # history page's time. A SET, not a startup option: PgBouncer refuses those. In
        # autocommit, one round trip (not BEGIN, SET, COMMIT), and none on a server in 'UTC'.
        if dbapi_connection.info.parameter_status("TimeZone") == "UTC":
            return
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET TimeZone TO 'UTC'")
        dbapi_connection.autocommit = False


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before handing it out only when it has sat unused for
    `PING_AFTER_IDLE_SECONDS`; a dead one is replaced, with every other pooled connection.

    Why not `pool_pre_ping`, which pinged at every checkout: that is a round trip before
    each request's reads, as long as a one-row read itself. A connection returned a moment ago
    was alive a moment ago. Given up: a connection the server dropped within that second
    (a server restarted that fast, a backend terminated by hand) fails the one request that
    gets it, and SQLAlchemy then replaces the pool's connections. A connection that waited
    longer, after an idle spell or a restart, is pinged as before."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)  # none yet: a new connection
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise InvalidatePoolError(f"ping failed: {error}") from error
            raise


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MILLISECONDS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        is_write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write else "BEGIN")


@contextmanager
def generic_plans(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, the statements run inside planned once for all their values after
    psycopg has prepared them (from a statement's sixth run on a connection), not at every
    run: `plan_cache_mode = force_generic_plan`, the session's setting, put back after.

    Why: PostgreSQL keeps one generic plan for a prepared statement only when it costs about
    what the plans for each run's own values did. A history page's did not: not knowing
    which account, the generic plan expected 3,268 rows where the plan for the revenue
    account expected 118,791, so its LIMIT looked six times as costly, and every page was
    planned again (0.3-0.5 ms in EXPLAIN, on a 2,000,000-entry history) into the plan the
    generic one is: an index scan in the page's order. Only around statements whose plan is
    that scan whatever the values: elsewhere a generic plan can be the wrong one for some.

    A request's reads run in autocommit, so the SET is the session's; a statement that failed
    inside a transaction leaves putting it back to the rollback, which undoes the SET, since
    the transaction refuses any statement until then."""
    if connection.dialect.name != "postgresql":
        yield
        return
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None  # a connection in use has its driver's
    driver_connection.execute("SET plan_cache_mode = force_generic_plan")
    try:
        yield
    finally:
        if driver_connection.info.transaction_status != TransactionStatus.INERROR:
            driver_connection.execute("RESET plan_cache_mode")


class Database:
    """The engine plus the two kinds of transaction the code uses: write and read."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.engine = create_database_engine(self.url, pool_size=pool_size)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._shared_read: ContextVar[Connection | None] = ContextVar(
            f"tallybook_shared_read_{id(self)}", default=None
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write: `BEGIN IMMEDIATE` on SQLite. Commits on success."""
        with self.write_connection() as connection, connection.begin():
            yield connection

    def write_connection(self) -> Connection:
        """A connection whose transactions write (`BEGIN IMMEDIATE` on SQLite), for a caller
        that keeps it across transactions and closes it (the posting engine).

        On PostgreSQL it is taken out of the pool (closing it closes it) and never prepares a
        statement on the server, so every statement is planned for its own parameters. Why:
        psycopg prepares a statement run five times, and PostgreSQL then may settle on one
        generic plan for it. The engine's statements take arrays of 1 to thousands of keys,
        and a plan settled while the tables were still empty stays with a connection that
        lives for days (until an ANALYZE, which a server without autovacuum never runs): on a
        fresh database the idempotency lookup kept scanning all of a tenant's transfers, and
        1,000-transfer batches fell from 3,700 to 1,200 transfers/s within a minute. Why not
        `plan_cache_mode = force_custom_plan`, which did the same: it also re-planned the
        query of every foreign-key check PostgreSQL then ran for each inserted row (3 to 4 µs a
        check became 11 to 21, nine checks a transfer, gone since migration 0009), and
        1,000-transfer batches lost a quarter.
        """
        connection = self.engine.connect().execution_options(**{_WRITE_OPTION: True})
        if not self.is_sqlite:
            psycopg_connection = connection.connection.driver_connection
            assert psycopg_connection is not None  # a checked-out connection has its driver's
            psycopg_connection.prepare_threshold = None
            connection.detach()
        return connection

    def try_begin_write(self, connection: Connection) -> RootTransaction | None:
        """A write transaction on SQLite `connection` (a `write_connection`), begun only if
        no other connection holds the write lock: None, without waiting, if one does.

        Why: the posting engine begins its batches on the event loop's thread (see
        `ledger.lanes`), which must not sleep in SQLite's busy handler while another process
        writes; it waits for the lock elsewhere instead."""
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None  # a connection in use has its driver's
        driver_connection.execute("PRAGMA busy_timeout = 0")
        try:
            return connection.begin()
        except OperationalError as error:
            code = getattr(error.orig, "sqlite_errorcode", None)
            if code is not None and code & 0xFF == SQLITE_BUSY:
                return None
            raise
        finally:
            driver_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MILLISECONDS}")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (rolled back at the end), or the one of the enclosing
        `reading()`."""
        shared = self._shared_read.get()
        if shared is not None:
            yield shared
            return
        with self.engine.connect() as connection, connection.begin() as transaction:
            yield connection
            transaction.rollback()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Every `read()` inside shares one connection.

        A request that reads an account, its balances and its currencies pays one pool
        checkout (with its ping) instead of one per read. On PostgreSQL the connection is in
        autocommit: at READ COMMITTED a transaction gives its statements no common snapshot
        anyway, and BEGIN and ROLLBACK were two of a one-row read's six round trips. On
        SQLite it is one read transaction (one snapshot). Scoped to the current context (one
        thread's call), so nothing else can reach the connection."""
        if self._shared_read.get() is not None:
            yield
            return
        with self._request_connection() as connection:
            token = self._shared_read.set(connection)
            try:
                yield
            finally:
                self._shared_read.reset(token)

    @contextmanager
    def _request_connection(self) -> Iterator[Connection]:
        if self.is_sqlite:
            with self.read() as connection:
                yield connection
            return
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            return False
        return True

    def autovacuum_is_off(self) -> bool:
        """Whether this PostgreSQL server runs without autovacuum (never on SQLite).

        Why it matters: autovacuum is what keeps the planner's statistics as tables grow.
        Without it a database is planned from default guesses for ever; the reads (history
        pages, statements, reports) can pick plans that scan a tenant's every row.
        """
        if self.is_sqlite:
            return False
        with self.engine.connect() as connection:
            setting = str(connection.exec_driver_sql("SHOW autovacuum").scalar_one())
        return setting == "off"

    def dispose(self) -> None:
        self.engine.dispose()
