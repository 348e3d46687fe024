"""The `tallybook` command: operate a Tallybook database from the shell."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from sqlalchemy.exc import SQLAlchemyError

from tallybook import serving
from tallybook.auth.keys import issue_key
from tallybook.demo import build_demo
from tallybook.ledger import Ledger
from tallybook.ledger.errors import LedgerError
from tallybook.ledger.queries import EntryQuery, HistorySource
from tallybook.model import Role, TransferType
from tallybook.render.entry_export import export_chunks
from tallybook.render.formats import OutputFormat
from tallybook.settings import Settings
from tallybook.storage import migrate as migrations
from tallybook.storage.database import Database
from tallybook.surfaces.seed_keys import SeedKeys

# uvicorn workers import the app by this name and build it from the environment's settings.
APP_FACTORY = "tallybook.api.app:create_app"

app = typer.Typer(help="Tallybook: a wallet and balance ledger service.", no_args_is_help=True)

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="overrides TALLYBOOK_DATABASE_URL", show_default=False),
]


DATABASE_URL_HINT = "--database-url (or TALLYBOOK_DATABASE_URL)"


def _settings(
    database_url: str | None, *, schema: bool = True, may_wait_for_database: bool = False
) -> Settings:
    """The settings with `database_url` in place, once its database is known to be usable
    (`migrations.check_ready`): otherwise the command stops with a usage error that says
    what is wrong and what to run, and nothing is created or changed. A server that does not
    answer yet stops every command but `serve` (`may_wait_for_database`), whose workers keep
    trying and answer /readyz with a 503 until it does."""
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    try:
        migrations.check_ready(settings.database_url, schema=schema)
    except migrations.DatabaseUnreachable as error:
        if not may_wait_for_database:
            raise typer.BadParameter(str(error), param_hint=DATABASE_URL_HINT) from error
        waiting = "serving anyway; /readyz answers 503 until the database does"
        typer.echo(f"warning: {error}; {waiting}", err=True)
    except migrations.DatabaseNotReady as error:
        raise typer.BadParameter(str(error), param_hint=DATABASE_URL_HINT) from error
    return settings


@app.command()
def migrate(database_url: DatabaseUrlOption = None, revision: str = "head") -> None:
    """Create or upgrade the schema (Alembic migrations)."""
    database = Database(_settings(database_url, schema=False).database_url)
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
    """Add a demo tenant with four months of history (once), and print a new admin API key."""
    summary = build_demo(_settings(database_url))
    typer.echo(f"demo tenant {summary.tenant.name!r}: {summary.tenant.id}")
    history = summary.history
    if history is None:
        typer.echo("  already in this database: nothing added")
    else:
        typer.echo(
            f"  {history.customer_accounts} customer accounts "
            f"({history.sub_accounts} of them sub-accounts), "
            f"{history.transfers} transfers, {history.entries} entries"
        )
    typer.echo(f"API key (admin, shown once): {summary.api_key}")
    _echo_seed_keys(summary.seed_keys)


def _echo_seed_keys(keys: SeedKeys) -> None:
    """One key per seed API, each scoped to an account its example client works with."""
    typer.echo("Seed API keys (shown once; each seed's example client works with it as written):")
    for label, header, key in (
        ("000 DRF wallet API", "Authorization: Token", keys.drf),
        ("001 CertCentral", "X-DC-DEVKEY:", keys.certcentral),
        ("002 DirectMail", "x-token:", keys.directmail),
    ):
        if key is None:
            typer.echo(f"  {label}: no account fits it in this tenant")
        else:
            account = f"account {key.account_number} {key.account_name!r}"
            typer.echo(f"  {label:<19} {header} {key.secret}  ({account})")


@app.command("create-tenant")
def create_tenant(
    name: str,
    database_url: DatabaseUrlOption = None,
    time_zone: str = "UTC",
    currency: Annotated[
        list[str] | None, typer.Option(help="CODE or CODE:DECIMALS, repeatable (USD:3)")
    ] = None,
) -> None:
    """Create a tenant with its currencies and an admin API key (printed once)."""
    with Ledger.from_settings(_settings(database_url)) as ledger:
        tenant = ledger.create_tenant(name, time_zone=time_zone)
        for spec in currency or ["CNY"]:
            code, _, decimals = spec.partition(":")
            ledger.configure_currency(tenant.id, code, int(decimals) if decimals else None)
        _record, secret = issue_key(ledger, tenant.id, "created with the tenant", Role.ADMIN)
    typer.echo(f"tenant {tenant.id}")
    typer.echo(f"admin key (shown once): {secret}")


@app.command("create-api-key")
def create_api_key(
    tenant_id: uuid.UUID,
    database_url: DatabaseUrlOption = None,
    name: str = "api key",
    role: Role = Role.WRITE,
    account_id: Annotated[
        uuid.UUID | None, typer.Option(help="scope the key to this account and its sub-accounts")
    ] = None,
) -> None:
    """Issue an API key for a tenant (printed once; only its hash is kept)."""
    with Ledger.from_settings(_settings(database_url)) as ledger:
        _record, secret = issue_key(ledger, tenant_id, name, role, account_id)
    typer.echo(secret)


@app.command()
def export(
    tenant_id: uuid.UUID,
    database_url: DatabaseUrlOption = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="file to write; - for standard output")
    ] = Path("-"),
    format: Annotated[OutputFormat, typer.Option(help="csv or jsonl")] = OutputFormat.CSV,
    account_id: Annotated[uuid.UUID | None, typer.Option(help="one account's entries")] = None,
    include_sub_accounts: Annotated[
        bool, typer.Option(help="with --account-id: its sub-accounts' entries too")
    ] = False,
    currency: Annotated[str | None, typer.Option()] = None,
    type: Annotated[TransferType | None, typer.Option()] = None,
    created_from: Annotated[
        datetime | None, typer.Option("--from", help="inclusive, UTC unless an offset is given")
    ] = None,
    created_to: Annotated[
        datetime | None, typer.Option("--to", help="exclusive, UTC unless an offset is given")
    ] = None,
    archived: Annotated[
        HistorySource, typer.Option(help="all, live, or archived rows only")
    ] = HistorySource.ALL,
    progress: Annotated[bool, typer.Option(help="show a progress bar on stderr")] = True,
) -> None:
    """Export balance history entries (oldest first) as CSV or JSON Lines, streamed."""
    if format not in (OutputFormat.CSV, OutputFormat.JSONL):
        raise typer.BadParameter("csv or jsonl", param_hint="--format")
    ledger = Ledger.from_settings(_settings(database_url))
    try:
        query = EntryQuery(
            tenant_id=tenant_id,
            account_ids=(
                None
                if account_id is None
                else ledger.account_ids(
                    tenant_id, account_id, with_sub_accounts=include_sub_accounts
                )
            ),
            currency=currency,
            type=type,
            created_from=_utc(created_from),
            created_to=_utc(created_to) or ledger.clock.now(),
            source=archived,
        )
        total = ledger.count_entries(query)
        with (
            _opened(output) as sink,
            typer.progressbar(
                length=total, label="entries", file=sys.stderr, hidden=not progress
            ) as bar,
        ):
            for text, written in export_chunks(ledger, query, format):
                sink.write(text)
                bar.update(written)
    except LedgerError as error:
        hint = "--" + (error.field or "tenant-id").replace("_", "-")
        raise typer.BadParameter(error.message, param_hint=hint) from error
    finally:
        ledger.close()
    typer.echo(f"exported {total} entries", err=True)


def _utc(moment: datetime | None) -> datetime | None:
    """A command-line time without an offset is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@contextmanager
def _opened(output: Path) -> Iterator[TextIO]:
    if str(output) == "-":
        yield sys.stdout
        return
    with output.open("w", encoding="utf-8", newline="") as sink:
        yield sink


@app.command("archive-setting")
def archive_setting(
    tenant_id: uuid.UUID,
    database_url: DatabaseUrlOption = None,
    months: Annotated[
        int | None, typer.Option(help="archive entries older than this many whole months")
    ] = None,
    never: Annotated[bool, typer.Option(help="never archive this tenant's entries")] = False,
) -> None:
    """Set how old a tenant's entries get before `tallybook archive` moves them."""
    if (months is None) == (not never):
        raise typer.BadParameter("give --months N or --never", param_hint="--months")
    ledger = Ledger.from_settings(_settings(database_url))
    try:
        ledger.set_archive_after_months(tenant_id, None if never else months)
    except LedgerError as error:
        raise typer.BadParameter(error.message, param_hint="--months") from error
    finally:
        ledger.close()
    typer.echo(
        f"tenant {tenant_id}: " + ("never archived" if never else f"archive after {months} months")
    )


@app.command()
def archive(
    database_url: DatabaseUrlOption = None,
    tenant_id: Annotated[
        uuid.UUID | None,
        typer.Option(help="only this tenant (default: every tenant with a setting)"),
    ] = None,
    older_than_months: Annotated[
        int | None, typer.Option(help="with --tenant-id: this once instead of its setting")
    ] = None,
) -> None:
    """Move entries older than each tenant's setting to the archive (balances, hashes and
    what every list shows stay the same); run `tallybook verify` after, if you like."""
    if older_than_months is not None and tenant_id is None:
        raise typer.BadParameter("goes with --tenant-id", param_hint="--older-than-months")
    ledger = Ledger.from_settings(_settings(database_url))
    try:
        tenant_ids = [tenant_id] if tenant_id else [t.id for t in ledger.archiving_tenants()]
        for each in tenant_ids:
            report = ledger.archive(each, older_than_months=older_than_months)
            typer.echo(
                f"tenant {each}: moved {report.moved} entries stamped before "
                f"{report.cutoff:%Y-%m-%d} to the archive in {report.transactions} "
                f"transaction(s)"
                + (
                    f", new partitions {', '.join(report.partitions_created)}"
                    if report.partitions_created
                    else ""
                )
            )
    except LedgerError as error:
        raise typer.BadParameter(error.message, param_hint="--older-than-months") from error
    finally:
        ledger.close()
    if not tenant_ids:
        typer.echo(
            "no tenant has an archive setting (tallybook archive-setting TENANT_ID --months N)"
        )


AUTOVACUUM_WARNING = (
    "warning: autovacuum is off on this PostgreSQL server, so nothing keeps the planner's "
    "statistics as the ledger grows; turn it on, or run `vacuumdb --analyze-only` regularly"
)


def _warn_when_autovacuum_is_off(database_url: str) -> None:
    """Tell the operator at start-up, once, about a server that will slow the reads down as
    the tables grow. A database that cannot be reached now is left to the workers, which
    report it as they start."""
    database = Database(database_url, pool_size=1)
    try:
        if database.autovacuum_is_off():
            typer.echo(AUTOVACUUM_WARNING, err=True)
    except SQLAlchemyError:
        pass
    finally:
        database.dispose()


@app.command()
def serve(
    database_url: DatabaseUrlOption = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="processes; more than 1 needs PostgreSQL")
    ] = 1,
    access_log: Annotated[
        bool | None,
        typer.Option(
            "--access-log/--no-access-log",
            help="one line per request to standard output, written in bulk; "
            "default: TALLYBOOK_ACCESS_LOG",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API with uvicorn."""
    settings = _settings(database_url, may_wait_for_database=True)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise typer.BadParameter("several workers need PostgreSQL", param_hint="--workers")
    if workers > 1 and port == 0:
        raise typer.BadParameter("several workers need a port number, not 0", param_hint="--port")
    _warn_when_autovacuum_is_off(settings.database_url)
    # uvicorn's workers import the app factory and read settings from the environment.
    os.environ["TALLYBOOK_DATABASE_URL"] = settings.database_url
    if access_log is not None:
        os.environ["TALLYBOOK_ACCESS_LOG"] = "true" if access_log else "false"
    typer.echo(f"Tallybook on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    config_options = {
        "app": APP_FACTORY,
        "factory": True,
        "host": host,
        "port": port,
        "access_log": False,  # the app writes its own (see tallybook.api.access_log)
        "http": "tallybook.joined_writes:JoinedWritesProtocol",  # one write a response
    }
    if workers == 1:
        serving.serve(config_options)
        return
    try:
        status = serving.serve_in_processes(workers, config_options)
    except serving.PortInUse as error:
        raise typer.BadParameter(str(error), param_hint="--port") from error
    raise typer.Exit(status)


if __name__ == "__main__":  # pragma: no cover
    app()
