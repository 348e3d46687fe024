"""The `tallybook` command on a SQLite file: migrate, demo, verify (and its failure exit)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from tallybook.cli import app
from tallybook.storage.database import Database

runner = CliRunner()


def test_migrate_demo_verify_on_a_fresh_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    migrated = runner.invoke(app, ["migrate", "--database-url", url])
    assert migrated.exit_code == 0, migrated.output
    assert "schema at revision 0001" in migrated.output

    demo = runner.invoke(app, ["demo", "--database-url", url])
    assert demo.exit_code == 0, demo.output
    assert "Demo Platform" in demo.output

    verified = runner.invoke(app, ["verify", "--database-url", url])
    assert verified.exit_code == 0, verified.output
    assert "tallybook verify: clean" in verified.output


def test_verify_exits_non_zero_and_names_the_bad_entry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner.invoke(app, ["migrate", "--database-url", url])
    runner.invoke(app, ["demo", "--database-url", url])
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER entries_refuse_update"))
        connection.execute(text("UPDATE entries SET amount = amount + 1 WHERE id = 7"))
    database.dispose()

    verified = runner.invoke(app, ["verify", "--database-url", url])

    assert verified.exit_code == 1
    assert "entry 7 " in verified.output
