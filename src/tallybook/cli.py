"""The `tallybook` command: operate a Tallybook database from the shell."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from tallybook.demo import build_demo
from tallybook.ledger import Ledger
from tallybook.settings import Settings
from tallybook.storage import migrate as migrations
from tallybook.storage.database import Database

app = typer.Typer(help="Tallybook: a wallet and balance ledger service.", no_args_is_help=True)

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="overrides TALLYBOOK_DATABASE_URL", show_default=False),
]


def _settings(database_url: str | None) -> Settings:
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


@app.command()
def migrate(database_url: DatabaseUrlOption = None, revision: str = "head") -> None:
    """Create or upgrade the schema (Alembic migrations)."""
    database = Database(_settings(database_url).database_url)
    try:
        migrations.upgrade(database, revision)
        typer.echo(f"schema at revision {migrations.current_revision(database)}")
    finally:
        database.dispose()


@app.command()
def verify(database_url: DatabaseUrlOption = None) -> None:
    """Recompute every balance from its entries and check every chain; exit 1 on any drift."""
    ledger = Ledger.from_settings(_settings(database_url))
    try:
        report = ledger.verify()
    finally:
        ledger.close()
    typer.echo(report.render())
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def demo(database_url: DatabaseUrlOption = None) -> None:
    """Add a demo tenant with accounts, sub-accounts and a history of transfers."""
    with Ledger.from_settings(_settings(database_url)) as ledger:
        summary = build_demo(ledger)
    typer.echo(
        f"demo tenant {summary.tenant.name!r} ({summary.tenant.id}): "
        f"{summary.accounts} customer accounts, {summary.transfers} transfers"
    )


@app.command()
def serve(
    database_url: DatabaseUrlOption = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="processes; more than 1 needs PostgreSQL")] = 1,
) -> None:
    """Serve the HTTP API with uvicorn."""
    settings = _settings(database_url)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise typer.BadParameter("several workers need PostgreSQL", param_hint="--workers")
    # uvicorn's workers import the app factory and read settings from the environment.
    os.environ["TALLYBOOK_DATABASE_URL"] = settings.database_url
    typer.echo(f"Tallybook on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run("tallybook.api.app:create_app", factory=True, host=host, port=port, workers=workers)


if __name__ == "__main__":  # pragma: no cover
    app()
