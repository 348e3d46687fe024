"""The usual hand-written service (bench/baselines/drf_ledger): its environment, its database
(migrated by Django, then filled in bulk by SQL) and its server (gunicorn, sync workers).

Its data mirrors Tallybook's: 10,000 funded wallets and a hot one for W1/W2, and for W5 the
same history shape (`history_shape`), written with `INSERT … SELECT generate_series` —
every log row with its exact balance before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from suite.config import ACCOUNTS, BASELINES_DIRECTORY
from suite.history_shape import BLOCK, CUSTOMERS, PAYMENT_MINOR, TOPUP_MINOR, HistoryShape
from suite.processes import Service, free_port, run_logged

PROJECT = BASELINES_DIRECTORY / "drf_ledger"
HOT_WALLET = ACCOUNTS + 1
WORLD_WALLET = ACCOUNTS + 2
REVENUE_WALLET = ACCOUNTS + 3
FIRST_SHOPPER = ACCOUNTS + 4

TRANSFER_TEMPLATE = (
    '{"from_wallet": %s, "to_wallet": %s, "amount": "0.01", "type": "order_payment"}'
)


@dataclass(frozen=True)
class DrfFixture:
    accounts_file: Path
    hot_wallet: int
    revenue_wallet: int


def _environment(url: str) -> dict[str, str]:
    return {"DRF_LEDGER_DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}


def prepare(url: str, python: Path, shape: HistoryShape, work: Path) -> DrfFixture:
    """Migrate the empty database at `url` and load wallets and the W5 history."""
    run_logged(
        [python, PROJECT / "manage.py", "migrate", "--verbosity=0"],
        work / "drf.log",
        env=_environment(url),
        cwd=PROJECT,
    )
    with psycopg.connect(url) as connection:
        connection.execute(
            "INSERT INTO wallets_wallet (id, name, balance, created_at) "
            "SELECT n, 'customer ' || n, 1000000.00, now() FROM generate_series(1, %s) AS n",
            (ACCOUNTS,),
        )
        connection.execute(
            "INSERT INTO wallets_wallet (id, name, balance, created_at) VALUES "
            "(%s, 'hot', 1000000000.00, now()), (%s, 'world', 0, now()), "
            "(%s, 'revenue', 0, now())",
            (HOT_WALLET, WORLD_WALLET, REVENUE_WALLET),
        )
        connection.execute(
            "INSERT INTO wallets_wallet (id, name, balance, created_at) "
            "SELECT %s + n, 'shopper ' || n, 0, now() FROM generate_series(0, %s) AS n",
            (FIRST_SHOPPER, CUSTOMERS - 1),
        )
        _load_history(connection, shape)
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('wallets_wallet', 'id'), "
            "(SELECT max(id) FROM wallets_wallet))"
        )
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('wallets_balancelog', 'id'), "
            "(SELECT max(id) FROM wallets_balancelog))"
        )
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    accounts_file = work / "drf-accounts.txt"
    accounts_file.write_text("".join(f"{n}\n" for n in range(1, ACCOUNTS + 1)), encoding="utf-8")
    return DrfFixture(accounts_file, HOT_WALLET, REVENUE_WALLET)


def _load_history(connection: psycopg.Connection[tuple[object, ...]], shape: HistoryShape) -> None:
    """The history of `history_shape` in SQL: transfer t is in block t/5 at position t%5 of
    customer (t/5)%100; balances before/after follow from those numbers alone."""
    if BLOCK != ("topup", "order_payment", "topup", "order_payment", "topup"):
        raise AssertionError("the SQL below spells out this block")
    topup, payment = TOPUP_MINOR / 100, PAYMENT_MINOR / 100
    net_per_block = 3 * topup - 2 * payment
    connection.execute(
        """
        WITH moves AS (
            SELECT t, t / 5 AS block, t %% 5 AS position
            FROM generate_series(0, %(transfers)s - 1) AS t
        ), shaped AS (
            SELECT t, position,
                   %(first_shopper)s + block %% %(customers)s AS shopper,
                   %(net)s * (block / %(customers)s)
                       + (ARRAY[0, %(topup)s, %(topup)s - %(payment)s,
                                2 * %(topup)s - %(payment)s,
                                2 * %(topup)s - 2 * %(payment)s])[position + 1] AS shopper_before,
                   3 * block + position / 2 AS topups_before,
                   2 * block + (position - 1) / 2 AS payments_before,
                   %(started_at)s::timestamptz + make_interval(secs => t) AS moment
            FROM moves
        )
        INSERT INTO wallets_balancelog (wallet_id, counterparty_id, kind, type, amount,
                                        balance_before, balance_after, order_number, created_at)
        SELECT side.* FROM shaped, LATERAL (
            SELECT %(world)s, shopper, 'out', 'topup', %(topup)s,
                   -%(topup)s * topups_before, -%(topup)s * (topups_before + 1), '', moment
            WHERE position %% 2 = 0
            UNION ALL
            SELECT shopper, %(world)s, 'in', 'topup', %(topup)s,
                   shopper_before, shopper_before + %(topup)s, '', moment
            WHERE position %% 2 = 0
            UNION ALL
            SELECT shopper, %(revenue)s, 'out', 'order_payment', %(payment)s,
                   shopper_before, shopper_before - %(payment)s, '', moment
            WHERE position %% 2 = 1
            UNION ALL
            SELECT %(revenue)s, shopper, 'in', 'order_payment', %(payment)s,
                   %(payment)s * payments_before, %(payment)s * (payments_before + 1), '', moment
            WHERE position %% 2 = 1
        ) AS side
        """,
        {
            "transfers": shape.transfers,
            "first_shopper": FIRST_SHOPPER,
            "customers": CUSTOMERS,
            "net": net_per_block,
            "topup": topup,
            "payment": payment,
            "started_at": shape.started_at,
            "world": WORLD_WALLET,
            "revenue": REVENUE_WALLET,
        },
    )
    connection.execute(
        "UPDATE wallets_wallet AS w SET balance = last.balance_after FROM ("
        "SELECT DISTINCT ON (wallet_id) wallet_id, balance_after FROM wallets_balancelog "
        "WHERE wallet_id >= %s ORDER BY wallet_id, created_at DESC, id DESC) AS last "
        "WHERE w.id = last.wallet_id",
        (WORLD_WALLET,),
    )


def server(url: str, python: Path, workers: int, log_path: Path) -> tuple[Service, str]:
    """gunicorn with `workers` sync workers, the usual way to serve Django."""
    port = free_port()
    command: list[str | Path] = [
        python.parent / "gunicorn",
        "--chdir",
        PROJECT,
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "ledger_site.wsgi:application",
    ]
    base_url = f"http://127.0.0.1:{port}"
    service = Service(
        "drf-baseline", command, f"{base_url}/healthz", log_path, env=_environment(url)
    )
    return service, base_url
