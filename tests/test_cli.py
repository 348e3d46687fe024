"""The `tallybook` command on a SQLite file: migrate, demo, verify (and its failure exit).

The demo takes a few seconds to build, so one module-scoped file holds it; tests that change
the database work on a copy.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, Table, func, select, text, true
from typer.testing import CliRunner

from tallybook.api.app import create_app
from tallybook.cli import app
from tallybook.ledger import Ledger
from tallybook.model import TransferStatus, TransferType
from tallybook.storage import migrate as migrations
from tallybook.storage.database import Database
from tallybook.storage.tables import (
    accounts,
    api_keys,
    currencies,
    entries,
    order_refunds,
    orders,
    tenants,
    topups,
    transfers,
    withdrawals,
)

runner = CliRunner(env={"COLUMNS": "300"})
KEY_LINE = "API key (admin, shown once): tb_"
KEYS_PER_DEMO_RUN = 4  # the admin key and one per seed API


@dataclass(frozen=True)
class DemoFile:
    path: Path
    migrate_output: str
    demo_output: str

    def copy_to(self, directory: Path) -> str:
        """A copy to change freely; returns its URL."""
        copy = directory / "copy.db"
        shutil.copy(self.path, copy)
        return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> DemoFile:
    path = tmp_path_factory.mktemp("demo") / "cli.db"
    url = f"sqlite:///{path}"
    migrated = runner.invoke(app, ["migrate", "--database-url", url])
    assert migrated.exit_code == 0, migrated.output
    demo = runner.invoke(app, ["demo", "--database-url", url])
    assert demo.exit_code == 0, demo.output
    return DemoFile(path, migrated.output, demo.output)


def test_migrate_demo_verify_on_a_fresh_file(demo_file: DemoFile) -> None:
    assert f"schema at revision {migrations.head_revision()}" in demo_file.migrate_output
    assert "Demo Platform" in demo_file.demo_output
    assert KEY_LINE in demo_file.demo_output

    verified = runner.invoke(app, ["verify", "--database-url", f"sqlite:///{demo_file.path}"])
    assert verified.exit_code == 0, verified.output
    assert "tallybook verify: clean" in verified.output


def test_the_demo_prints_a_key_for_each_seed_client(demo_file: DemoFile) -> None:
    keys = dict(re.findall(r"^ +(\d{3}) .* (tb_\S+) ", demo_file.demo_output, re.MULTILINE))
    database = Database(f"sqlite:///{demo_file.path}")
    with Ledger(database) as ledger, TestClient(create_app(ledger=ledger)) as client:
        # Seed 001's client sends no container_id: the key's account is one division.
        history = client.get(
            "/services/v2/finance/balance-history", headers={"X-DC-DEVKEY": keys["001"]}
        )
        # Seed 002's curl, with its empty filters.
        score_log = client.get(
            "/user/scoreLogList?pageSize=10&page=1&country_code=&type=&order_no=&start=&end=&tag=",
            headers={"x-token": keys["002"]},
        )
        wallets = client.get(
            "/api/balance/wallet/", headers={"Authorization": f"Token {keys['000']}"}
        )
    database.dispose()

    assert sorted(keys) == ["000", "001", "002"]
    assert history.status_code == 200 and history.json()["adjustments"]
    assert score_log.json()["code"] == 0 and score_log.json()["data"]["list"]
    assert wallets.status_code == 200 and wallets.json()["count"] >= 1


def test_the_demo_tells_months_of_realistic_history(demo_file: DemoFile) -> None:
    database = Database(f"sqlite:///{demo_file.path}")
    with database.read() as connection:
        entry_count = connection.execute(select(func.count()).select_from(entries)).scalar_one()
        decimals = {row.code: row.decimals for row in connection.execute(select(currencies))}
        sub_accounts = connection.execute(
            select(accounts.c.parent_id, func.count())
            .group_by(accounts.c.parent_id)
            .where(accounts.c.parent_id.is_not(None))
        ).all()
        distinct_kinds = select(transfers.c.type, transfers.c.status).distinct()
        kinds = {(row.type, row.status) for row in connection.execute(distinct_kinds)}
        first, last = connection.execute(
            select(func.min(transfers.c.created_at), func.max(transfers.c.created_at))
        ).one()
        over_refunded = connection.execute(
            text(
                "SELECT count(*) FROM ("
                " SELECT order_number, sum(CASE type WHEN 'refund' THEN amount ELSE -amount END)"
                " AS balance FROM transfers WHERE type IN ('refund', 'order_payment')"
                " GROUP BY order_number) WHERE balance > 0"
            )
        ).scalar_one()
    database.dispose()

    assert 15_000 <= entry_count <= 30_000
    assert decimals == {"CNY": 2, "EUR": 2, "USD": 3}
    assert len(sub_accounts) >= 3
    assert all(2 <= children <= 3 for _parent, children in sub_accounts)
    posted = TransferStatus.POSTED.value
    for kind in (
        TransferType.TOPUP,
        TransferType.ORDER_PAYMENT,
        TransferType.REFUND,
        TransferType.ALLOCATION,
        TransferType.ADJUSTMENT,
        TransferType.REVERSAL,
    ):
        assert (kind.value, posted) in kinds, kind
    assert (TransferType.WITHDRAWAL.value, posted) in kinds
    assert (TransferType.WITHDRAWAL.value, TransferStatus.VOIDED.value) in kinds
    assert (TransferType.FEE.value, posted) in kinds
    assert over_refunded == 0
    now = datetime.now(UTC)
    assert now - timedelta(days=130) < first < last < now
    assert last - first > timedelta(days=100)


def test_the_demos_money_moved_through_the_wallet_flows(demo_file: DemoFile) -> None:
    database = Database(f"sqlite:///{demo_file.path}")
    with database.read() as connection:

        def count(table: Table, *conditions: ColumnElement[bool]) -> int:
            query = select(func.count()).select_from(table).where(true(), *conditions)
            return int(connection.execute(query).scalar_one())

        def statuses(table: Table) -> set[str]:
            return set(connection.execute(select(table.c.status).distinct()).scalars())

        def transfers_of(kind: TransferType) -> int:
            """Posted movements of `kind` (for holds: the postings, not the hold rows)."""
            posted = transfers.c.status == TransferStatus.POSTED.value
            resolved = select(transfers.c.pending_id).where(transfers.c.pending_id.is_not(None))
            hold_row = transfers.c.id.in_(resolved.scalar_subquery())
            return count(transfers, transfers.c.type == kind.value, posted, ~hold_row)

        topup_statuses = statuses(topups)
        confirmed_via = set(connection.execute(select(topups.c.confirmed_via).distinct()).scalars())
        withdrawal_statuses = statuses(withdrawals)
        order_statuses = statuses(orders)
        succeeded = count(topups, topups.c.status == "succeeded")
        credits, charges, refunds = (
            transfers_of(TransferType.TOPUP),
            transfers_of(TransferType.ORDER_PAYMENT),
            transfers_of(TransferType.REFUND),
        )
        paid_out = count(withdrawals, withdrawals.c.status == "paid")
        payouts = transfers_of(TransferType.WITHDRAWAL)
        fees = transfers_of(TransferType.FEE)
        order_count, refund_count = count(orders), count(order_refunds)
    database.dispose()

    assert topup_statuses == {"succeeded", "failed", "expired"}
    assert confirmed_via == {"api", "callback", None}
    assert {"paid", "rejected", "cancelled", "failed"} <= withdrawal_statuses
    assert withdrawal_statuses & {"pending", "approved"}  # a few still waiting
    assert order_statuses == {"paid", "partially_refunded", "refunded"}
    # Every credit, charge, refund and payout of the history belongs to its flow's record.
    assert credits == succeeded
    assert charges == order_count
    assert refunds == refund_count
    assert payouts == fees == paid_out


def test_a_second_demo_run_only_issues_new_keys(demo_file: DemoFile, tmp_path: Path) -> None:
    url = demo_file.copy_to(tmp_path)

    again = runner.invoke(app, ["demo", "--database-url", url])

    assert again.exit_code == 0, again.output
    assert "nothing added" in again.output
    assert KEY_LINE in again.output
    database = Database(url)
    with database.read() as connection:
        demo_tenants = connection.execute(
            select(func.count()).where(tenants.c.name == "Demo Platform")
        ).scalar_one()
        keys = connection.execute(select(func.count()).select_from(api_keys)).scalar_one()
    database.dispose()
    assert demo_tenants == 1
    assert keys == 2 * KEYS_PER_DEMO_RUN


def test_verify_exits_non_zero_and_names_the_bad_entry(demo_file: DemoFile, tmp_path: Path) -> None:
    url = demo_file.copy_to(tmp_path)
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER entries_refuse_update"))
        connection.execute(text("UPDATE entries SET amount = amount + 1 WHERE id = 7"))
    database.dispose()

    verified = runner.invoke(app, ["verify", "--database-url", url])

    assert verified.exit_code == 1
    assert "entry 7 " in verified.output


def demo_tenant_id(url: str) -> str:
    database = Database(url)
    with database.read() as connection:
        tenant_id = connection.execute(select(tenants.c.id)).scalar_one()
    database.dispose()
    return str(tenant_id)


def test_export_writes_every_entry_oldest_first(demo_file: DemoFile, tmp_path: Path) -> None:
    url = f"sqlite:///{demo_file.path}"
    output = tmp_path / "history.csv"

    exported = runner.invoke(
        app, ["export", demo_tenant_id(url), "--database-url", url, "--output", str(output)]
    )

    assert exported.exit_code == 0, exported.output
    database = Database(url)
    with database.read() as connection:
        entry_count = connection.execute(select(func.count()).select_from(entries)).scalar_one()
    database.dispose()
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert len(rows) == entry_count
    assert f"exported {entry_count} entries" in exported.output
    times = [row["created_at"] for row in rows]
    assert times == sorted(times)


def test_export_as_json_lines_with_filters(demo_file: DemoFile, tmp_path: Path) -> None:
    url = f"sqlite:///{demo_file.path}"
    output = tmp_path / "usd.jsonl"

    exported = runner.invoke(
        app,
        ["export", demo_tenant_id(url), "--database-url", url, "--output", str(output),
         "--format", "jsonl", "--currency", "USD", "--type", "topup", "--no-progress"],
    )  # fmt: skip

    assert exported.exit_code == 0, exported.output
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert records and {(r["currency"], r["type"]) for r in records} == {("USD", "topup")}
    assert all(len(r["amount"].split(".")[1]) == 3 for r in records)


def test_export_names_a_bad_option(demo_file: DemoFile) -> None:
    url = f"sqlite:///{demo_file.path}"

    refused = runner.invoke(
        app, ["export", demo_tenant_id(url), "--database-url", url, "--format", "pdf"]
    )

    assert refused.exit_code == 2
    assert "--format" in refused.output


def test_archive_setting_then_archive_then_verify_is_clean(
    demo_file: DemoFile, tmp_path: Path
) -> None:
    url = demo_file.copy_to(tmp_path)
    tenant_id = demo_tenant_id(url)
    before = runner.invoke(app, ["export", tenant_id, "--database-url", url, "--no-progress"])

    setting = runner.invoke(app, ["archive-setting", tenant_id, "--database-url", url,
                                  "--months", "2"])  # fmt: skip
    archived = runner.invoke(app, ["archive", "--database-url", url])
    verified = runner.invoke(app, ["verify", "--database-url", url])
    after = runner.invoke(app, ["export", tenant_id, "--database-url", url, "--no-progress"])

    assert setting.exit_code == 0 and "archive after 2 months" in setting.output
    assert archived.exit_code == 0, archived.output
    assert "moved" in archived.output and "moved 0 " not in archived.output
    assert verified.exit_code == 0 and "tallybook verify: clean" in verified.output
    assert after.output == before.output


def test_archive_needs_a_setting_or_a_number_of_months(demo_file: DemoFile, tmp_path: Path) -> None:
    url = demo_file.copy_to(tmp_path)

    nothing_to_do = runner.invoke(app, ["archive", "--database-url", url])
    refused = runner.invoke(
        app, ["archive", "--database-url", url, "--tenant-id", demo_tenant_id(url)]
    )

    assert (
        nothing_to_do.exit_code == 0 and "no tenant has an archive setting" in nothing_to_do.output
    )
    assert refused.exit_code == 2 and "archive setting" in refused.output


def plain(output: str) -> str:
    """Typer's error box without its frame and line breaks, to read as one sentence (the
    runner's terminal is wide enough that no path or URL is broken across lines)."""
    return " ".join(output.replace("│", " ").split())


def test_a_command_on_a_mistyped_sqlite_path_says_so_and_creates_no_file(tmp_path: Path) -> None:
    mistyped = tmp_path / "talybook.db"

    verified = runner.invoke(app, ["verify", "--database-url", f"sqlite:///{mistyped}"])

    assert verified.exit_code == 2
    assert f"there is no SQLite file at {mistyped}" in plain(verified.output)
    assert "create it with `tallybook migrate --database-url" in plain(verified.output)
    assert not mistyped.exists()


def test_every_command_but_migrate_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    sqlite3.connect(tmp_path / "empty.db").close()
    tenant = "2d5b1c9e-7f6a-4c3b-9a8d-0e1f2a3b4c5d"

    refusals = [
        runner.invoke(app, [*command, "--database-url", url])
        for command in (
            ["verify"],
            ["demo"],
            ["create-tenant", "Shop"],
            ["create-api-key", tenant],
            ["export", tenant],
            ["archive-setting", tenant, "--never"],
            ["archive"],
            ["serve"],
        )
    ]
    migrated = runner.invoke(app, ["migrate", "--database-url", url])

    for refused in refusals:
        assert refused.exit_code == 2, refused.output
        assert "has no Tallybook schema; run `tallybook migrate" in plain(refused.output)
    assert migrated.exit_code == 0, migrated.output
    assert runner.invoke(app, ["verify", "--database-url", url]).exit_code == 0


def test_a_database_server_that_does_not_answer_stops_a_command(tmp_path: Path) -> None:
    nobody_listens = "postgresql://tallybook:secret@127.0.0.1:1/ledger"

    verified = runner.invoke(app, ["verify", "--database-url", nobody_listens])
    migrated = runner.invoke(app, ["migrate", "--database-url", nobody_listens])

    for result in (verified, migrated):
        assert result.exit_code == 2
        said = plain(result.output)
        assert "cannot open the database at postgresql://tallybook:***@127.0.0.1:1/ledger" in said
        assert "secret" not in said


def test_a_url_of_no_known_database_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["migrate", "--database-url", "mysql+nodriver://x/y"])

    assert result.exit_code == 2
    assert "not a database URL Tallybook can open" in plain(result.output)


def test_text_that_is_no_url_is_refused_without_repeating_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", "--database-url", "tallybook:secret at db.internal"])

    assert result.exit_code == 2
    assert "not a database URL: write sqlite:///PATH or postgresql://" in plain(result.output)
    assert "secret" not in result.output
