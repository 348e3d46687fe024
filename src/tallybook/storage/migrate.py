"""Run the Alembic migrations programmatically (the CLI and the tests both build schemas so)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tallybook.storage.database import Database

MIGRATIONS_DIRECTORY = Path(__file__).parent / "migrations"


def _config(directory: Path = MIGRATIONS_DIRECTORY) -> Config:
    config = Config()
    config.set_main_option("script_location", str(directory))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` (the newest by default)."""
    config = _config()
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def downgrade(database: Database, revision: str) -> None:
    """Take the schema down to `revision` ("base" removes every table)."""
    config = _config()
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(directory: Path = MIGRATIONS_DIRECTORY) -> str | None:
    """The newest revision of these migrations, or of another version's (`directory`: its
    `tallybook/storage/migrations`, which the benchmark's comparisons read)."""
    return ScriptDirectory.from_config(_config(directory)).get_current_head()
