"""`ledgers`: independent ledgers (each its own engine thread and connections) on one
database, run on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tallybook.ledger import Ledger
from tallybook.storage.database import Database
from tests.concurrency.workers import ENGINES


@pytest.fixture
def ledgers(any_database: Database) -> Iterator[list[Ledger]]:
    started = [Ledger(Database(any_database.url)) for _ in range(ENGINES)]
    for ledger in started:
        ledger.start()
    yield started
    for ledger in started:
        ledger.close()
