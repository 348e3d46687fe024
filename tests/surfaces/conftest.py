"""The story every surface test reads, golden files, and a live server for the seeds' own
example clients."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tallybook.api.app import create_app
from tallybook.ledger import Ledger
from tallybook.storage.database import Database
from tests.conftest import postgres_database
from tests.support import ManualClock
from tests.surfaces.story import Story, tell

GOLDEN = Path(__file__).parent / "golden"
# TALLYBOOK_UPDATE_GOLDEN=1 rewrites the golden files from what the surfaces answer now;
# review the diff before committing it.
UPDATE_GOLDEN = os.environ.get("TALLYBOOK_UPDATE_GOLDEN") == "1"
SERVER_START_SECONDS = 10.0


@pytest.fixture(scope="session")
def story_template(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Story]:
    """The story told once on SQLite; each SQLite test gets a copy of the file."""
    path = tmp_path_factory.mktemp("story") / "story.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    clock = ManualClock()
    with Ledger(database, clock=clock) as ledger:
        told = tell(ledger, clock)
    database.dispose()
    return path, told


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """As everywhere, both databases; the SQLite one already holds the story (telling it
    takes a few dozen commits, too slow to repeat for every test)."""
    if request.param == "sqlite":
        story_file, _told = request.getfixturevalue("story_template")
        shutil.copy(story_file, tmp_path / "tallybook.db")
        database = Database(f"sqlite:///{tmp_path / 'tallybook.db'}")
    else:
        database = postgres_database(request.getfixturevalue("postgres_migrated"))
    yield database
    database.dispose()


@pytest.fixture
def story(
    request: pytest.FixtureRequest, any_database: Database, ledger: Ledger, clock: ManualClock
) -> Story:
    """The story in the test's database, with the clock where the story left it."""
    if any_database.is_sqlite:
        told: Story = request.getfixturevalue("story_template")[1]
        clock.current = told.ended_at
        return told
    return tell(ledger, clock)


def assert_golden(name: str, answer: Any) -> None:
    """`answer` must equal the JSON in golden/`name` exactly: every key, value, type and
    order of keys."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(answer, indent=2, ensure_ascii=False) + "\n")
    expected = json.loads(path.read_text())
    assert answer == expected
    assert json.dumps(answer, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)


@pytest.fixture
def live_server(ledger: Ledger) -> Iterator[str]:
    """The whole app served by uvicorn on a free local port, in a thread; its base URL."""
    config = uvicorn.Config(
        create_app(ledger=ledger), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=SERVER_START_SECONDS)
