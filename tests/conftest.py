"""Databases for the tests, built by the real migrations.

Every storage test runs on SQLite. Tests that take the `any_database` fixture also run on
PostgreSQL when TALLYBOOK_TEST_DATABASE_URL names an (empty, disposable) database; without it
the PostgreSQL variant is skipped and says why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tallybook.api.app import create_app
from tallybook.ledger import Ledger
from tallybook.storage import migrate
from tallybook.storage.database import Database
from tallybook.storage.tables import metadata
from tests.support import ManualClock

POSTGRES_URL = os.environ.get("TALLYBOOK_TEST_DATABASE_URL")
NO_POSTGRES = "TALLYBOOK_TEST_DATABASE_URL is not set: PostgreSQL variant not run"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    """The PostgreSQL test database, emptied and migrated to head once per run."""
    if POSTGRES_URL is None:
        pytest.skip(NO_POSTGRES)
    database = Database(POSTGRES_URL)
    migrate.downgrade(database, "base")
    migrate.upgrade(database)
    database.dispose()
    return POSTGRES_URL


def _sqlite_database(template: Path, directory: Path) -> Database:
    path = directory / "tallybook.db"
    shutil.copy(template, path)
    return Database(f"sqlite:///{path}")


def postgres_database(url: str) -> Database:
    """The migrated PostgreSQL test database, emptied."""
    database = Database(url)
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    with database.engine.begin() as connection:
        # The history tables refuse TRUNCATE; replica mode skips that guard for this cleanup.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return database


@pytest.fixture
def sqlite_database(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    database = _sqlite_database(sqlite_template, tmp_path)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The test runs once on SQLite and once on PostgreSQL (skipped, saying why, without it)."""
    if request.param == "sqlite":
        database = _sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        database = postgres_database(request.getfixturevalue("postgres_migrated"))
    yield database
    database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ledger(any_database: Database, clock: ManualClock) -> Iterator[Ledger]:
    """A started ledger on each database, with a clock the test moves."""
    with Ledger(any_database, clock=clock) as started:
        yield started


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    """An HTTP client on the whole app (native API and seed surfaces) over `ledger`."""
    with TestClient(create_app(ledger=ledger)) as test_client:
        yield test_client
