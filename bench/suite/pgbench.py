"""pgbench on the same PostgreSQL: the database's own per-transaction limit for a transfer.

A transfer is one statement (so one transaction, committed with the server's durable
settings): it moves 1 unit between two balance rows and appends a history row. Uniform picks
both accounts among 10,000; hot always debits account 0. The rows are updated in key order
(`WHERE id IN (a, b)` walks the primary key), so two transfers never deadlock; a failed
transaction is retried (`--max-tries`) and counted.

One hot row serialises every transfer, and 64 clients queueing on it do worse than one
client (each commit waits for the last): the hot script also runs with a single client,
and the better of the two is the baseline, so no ratio is flattered by lock convoys.
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

import psycopg

from suite.config import ACCOUNTS, CLIENTS, Sizes
from suite.cpu import CpuMeter
from suite.loadgen import LoadResult
from suite.processes import run_logged, say

SCHEMA = f"""
CREATE TABLE bench_balances (id integer PRIMARY KEY, balance bigint NOT NULL);
CREATE TABLE bench_history (
    id bigserial PRIMARY KEY,
    debit integer NOT NULL,
    credit integer NOT NULL,
    amount bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO bench_balances SELECT n, 1000000000 FROM generate_series(0, {ACCOUNTS}) AS n;
"""

TRANSFER = """
WITH moved AS (
    UPDATE bench_balances SET balance = balance + CASE WHEN id = :debit THEN -1 ELSE 1 END
    WHERE id IN (:debit, :credit) RETURNING id
)
INSERT INTO bench_history (debit, credit, amount) SELECT :debit, :credit, 1 FROM moved LIMIT 1;
"""

UNIFORM_SCRIPT = f"""\\set debit random(1, {ACCOUNTS})
\\set credit random(1, {ACCOUNTS})
{TRANSFER}"""

HOT_SCRIPT = f"""\\set debit 0
\\set credit random(1, {ACCOUNTS})
{TRANSFER}"""


def prepare(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(SCHEMA.encode())


def run(
    url: str, name: str, script_text: str, sizes: Sizes, work: Path, *, clients: int = CLIENTS
) -> LoadResult:
    """One pgbench run with `clients` clients for `load_seconds`; latencies from its
    per-transaction log."""
    script = work / f"pgbench-{name}.sql"
    script.write_text(script_text, encoding="utf-8")
    log_directory = work / f"pgbench-{name}-{clients}-log"
    log_directory.mkdir(exist_ok=True)
    say(f"  pgbench {name}: {clients} clients, {sizes.load_seconds} s")
    with CpuMeter() as meter:
        output = run_logged(
            [
                "pgbench",
                "--no-vacuum",
                f"--client={clients}",
                f"--jobs={min(2, clients)}",
                f"--time={sizes.load_seconds}",
                "--max-tries=10",
                "--failures-detailed",
                f"--file={script}",
                "--log",
                f"--log-prefix={log_directory}/tx",
                url,
            ],
            work / "pgbench.log",
        )
    latencies_ms: list[float] = []
    for log_file in log_directory.iterdir():
        for line in log_file.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            # client_id transaction_no time script_no time_epoch time_us [retries]
            if len(fields) >= 6 and fields[2].isdigit():
                latencies_ms.append(int(fields[2]) / 1000)
    processed = re.search(r"number of transactions actually processed: (\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    duration = re.search(r"duration: (\d+) s", output)
    if not (processed and duration and latencies_ms):
        sys.exit(f"could not read pgbench's output — see {work / 'pgbench.log'}")
    latencies_ms.sort()
    return LoadResult(
        requests=int(processed.group(1)),
        duration_seconds=float(duration.group(1)),
        p50_ms=statistics.median(latencies_ms),
        p99_ms=latencies_ms[int(len(latencies_ms) * 0.99)],
        errors=int(failed.group(1)) if failed else 0,
        cpu=meter.used,
    )
