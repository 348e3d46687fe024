"""django-hordak, the established Python double-entry ledger, driven through its own Python
API on the same PostgreSQL: `Account.get_balance()` (now and as of a past date) on an account
with many legs, and `Account.transfer_to()` from several threads.

Runs in its own virtual environment (bench/.envs/hordak, made by the suite), prints one JSON
document on stdout. The many legs are written in bulk by SQL (`INSERT … SELECT
generate_series`) with triggers off for that statement only: hordak's per-row checks are
what its API runs, not what is measured, and every generated transaction balances (one
credit leg and one debit leg of the same amount), which the script checks afterwards.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import django
from django.conf import settings


def configure(url: str) -> None:
    parsed = urlparse(url)
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "mptt",
            "djmoney",
            "hordak",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": parsed.path.lstrip("/"),
                "USER": parsed.username or "postgres",
                "PASSWORD": parsed.password or "",
                "HOST": parsed.hostname or "127.0.0.1",
                "PORT": str(parsed.port or 5432),
                "CONN_MAX_AGE": None,
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        DEFAULT_CURRENCY="CNY",
        CURRENCIES=["CNY"],
        HORDAK_CURRENCIES=["CNY"],
    )
    django.setup()


def load_legs(revenue_id: int, cash_id: int, legs: int) -> None:
    """`legs` order payments of 3.50 CNY, one a second up to a day ago: each a transaction
    with a credit leg on revenue and a debit leg on cash."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO hordak_transaction (uuid, timestamp, date, description)
            SELECT gen_random_uuid(), t, t::date, 'order payment'
            FROM (SELECT now() - interval '1 day' - make_interval(secs => %s - n) AS t
                  FROM generate_series(1, %s) AS n) AS moments
            """,
            [legs, legs],
        )
        cursor.execute(
            """
            INSERT INTO hordak_leg (uuid, transaction_id, account_id, credit, debit, currency,
                                    description)
            SELECT gen_random_uuid(), tr.id, side.account_id, side.credit, side.debit, 'CNY',
                   ''
            FROM hordak_transaction AS tr,
                 LATERAL (VALUES (%s, 3.50, NULL::numeric), (%s, NULL::numeric, 3.50))
                     AS side(account_id, credit, debit)
            """,
            [revenue_id, cash_id],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE hordak_transaction")
        cursor.execute("ANALYZE hordak_leg")
        cursor.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM hordak_leg GROUP BY 1 "
            "HAVING sum(coalesce(credit, 0)) <> sum(coalesce(debit, 0))) AS unbalanced"
        )
        (unbalanced,) = cursor.fetchone()
        if unbalanced:
            raise SystemExit(f"{unbalanced} generated transactions do not balance")


def median_ms(action: Any, calls: int) -> tuple[float, float]:
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.99))]


def transfers(accounts: list[Any], threads: int, seconds: float) -> dict[str, float]:
    """`transfer_to` from `threads` threads for `seconds`, each thread on its own connection,
    every transfer paying the first account (the hot one) to one of the others."""
    from django.db import connection
    from moneyed import Money

    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop(number: int) -> None:
        step = 0
        while time.perf_counter() < deadline:
            step += 1
            target = accounts[1 + (number + step) % (len(accounts) - 1)]
            started = time.perf_counter()
            accounts[0].transfer_to(target, Money(Decimal("0.01"), "CNY"))
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "transfers": len(latencies),
        "seconds": elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--legs", type=int, required=True)
    parser.add_argument("--balance-calls", type=int, default=10)
    parser.add_argument("--transfer-threads", type=int, default=8)
    parser.add_argument("--transfer-seconds", type=float, default=5)
    arguments = parser.parse_args()
    configure(arguments.database_url)

    from django.core.management import call_command
    from django.utils import timezone
    from hordak.models import Account

    call_command("migrate", verbosity=0)
    revenue = Account.objects.create(name="Revenue", type="IN", currencies=["CNY"])
    cash = Account.objects.create(name="Cash", type="AS", currencies=["CNY"])
    started = time.perf_counter()
    load_legs(revenue.id, cash.id, arguments.legs)
    load_seconds = time.perf_counter() - started
    as_of = (timezone.now() - timedelta(days=1, seconds=arguments.legs // 2)).date()
    revenue.get_balance()  # warm the caches once, as Tallybook's reads are warmed
    now_p50, now_p99 = median_ms(revenue.get_balance, arguments.balance_calls)
    past_p50, past_p99 = median_ms(
        lambda: revenue.get_balance(as_of=as_of), arguments.balance_calls
    )
    balance = revenue.get_balance()
    customers = [
        Account.objects.create(name=f"Customer {n}", type="LI", currencies=["CNY"])
        for n in range(101)
    ]
    moved = transfers(customers, arguments.transfer_threads, arguments.transfer_seconds)
    print(
        json.dumps(
            {
                "legs": arguments.legs,
                "load_seconds": load_seconds,
                "balance": str(balance),
                "balance_now": {"p50_ms": now_p50, "p99_ms": now_p99},
                "balance_as_of": {"p50_ms": past_p50, "p99_ms": past_p99, "as_of": str(as_of)},
                "transfer_to": moved | {"threads": arguments.transfer_threads},
            }
        )
    )


if __name__ == "__main__":
    main()
