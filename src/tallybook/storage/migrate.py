"""Run the Alembic migrations programmatically (the CLI and the tests both build schemas so),
and tell whether a database is ready for this version (`check_ready`, before every CLI command)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

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


class DatabaseNotReady(Exception):
    """The database at a URL cannot serve this version of Tallybook as it stands; the message
    says why and what to run."""


class DatabaseUnreachable(DatabaseNotReady):
    """The database server did not answer or refused the connection: it may later."""


def check_ready(url: str, *, schema: bool = True) -> None:
    """Check that the database at `url` can be used, without changing it.

    Why: without this, a command on a mistyped SQLite path created an empty file there and
    then failed with a traceback, and `tallybook serve` on an unmigrated database said it was
    ready and logged a traceback every few seconds. `schema=False` (for `tallybook migrate`)
    checks only that the URL opens; otherwise the schema must be this version's newest.
    """
    try:
        sqlite_file = _sqlite_file(url)
    except NoSuchModuleError as error:
        raise DatabaseNotReady(f"not a database URL Tallybook can open: {error}") from error
    except ArgumentError as error:  # its message repeats the URL, password and all
        raise DatabaseNotReady(
            "not a database URL: write sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE"
        ) from error
    shown = make_url(url).render_as_string(hide_password=True)
    if schema and sqlite_file is not None and not sqlite_file.exists():
        raise DatabaseNotReady(
            f"there is no SQLite file at {sqlite_file}; "
            f"create it with `tallybook migrate --database-url {shown}`"
        )
    database = Database(url, pool_size=1)
    try:
        if schema:
            _check_schema(database, shown)
        else:
            database.engine.connect().close()
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise DatabaseUnreachable(f"cannot open the database at {shown}: {reason}") from error
    finally:
        database.dispose()


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for any other database, or one in memory)."""
    parsed = make_url(url)
    parsed.get_dialect()  # an unknown database or driver fails here, not at first use
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _check_schema(database: Database, shown: str) -> None:
    current, head = current_revision(database), head_revision()
    if current == head:
        return
    upgrade = f"run `tallybook migrate --database-url {shown}`"
    if current is None:
        raise DatabaseNotReady(f"the database at {shown} has no Tallybook schema; {upgrade}")
    try:
        known = ScriptDirectory.from_config(_config()).get_revision(current) is not None
    except CommandError:  # what alembic raises for a revision it has no script for
        known = False
    if not known:
        raise DatabaseNotReady(
            f"the database at {shown} is at schema revision {current}, which this version "
            f"of Tallybook does not know (a newer version migrated it); upgrade Tallybook"
        )
    raise DatabaseNotReady(
        f"the database at {shown} is at schema revision {current}; this version of "
        f"Tallybook needs {head}: {upgrade}"
    )
