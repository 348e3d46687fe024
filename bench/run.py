"""The side-by-side benchmark suite of issue 7: Tallybook and every baseline, in one run, on
this machine, with durable settings; one table, one JSON file, and `tallybook verify` on
every database written (drift fails the run).

    make bench          # the issue's sizes (5,000,000-entry history: about 15 minutes)
    make bench-quick    # short runs and a 300,000-entry history (under 3 minutes)
    .venv/bin/python bench/run.py --help

It starts everything itself: fresh PostgreSQL databases on the local server, SQLite files,
`tallybook serve`, the baselines (installed into bench/.envs/ on first use), and wrk as the
load generator. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from suite import drf, hordak, pgbench, raw_drivers
from suite.ceilings import cpu_ceiling, throughput_ceiling
from suite.config import (
    ACCOUNTS,
    BATCH_TRANSFERS,
    CLIENTS,
    FULL,
    QUICK,
    RESULTS_DIRECTORY,
    RunOptions,
)
from suite.envs import ensure_env
from suite.history_load import load_history
from suite.history_reads import TallybookReads, drf_pages, tallybook_reads
from suite.history_shape import shape_ending_an_hour_ago
from suite.loadgen import LoadResult, ensure_wrk, transfer_script
from suite.postgres import drop_database, recreate_database, server_settings
from suite.processes import say
from suite.report import Comparison, Report, Row, machine, ratio
from suite.servers import ceiling_server, measure, tallybook_server
from suite.tallybook_setup import prepare_write_database
from suite.tallybook_writes import TRANSFER_TEMPLATE, WriteResults, run_tallybook_writes
from suite.verify import verify

TRANSFERS = "transfers/s"
REQUESTS = "req/s"


def parse_arguments() -> tuple[RunOptions, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, smaller history")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="tallybook serve --workers"
    )
    parser.add_argument(
        "--drf-workers",
        type=int,
        default=2 * (os.cpu_count() or 2) + 1,
        help="gunicorn sync workers of the DRF baseline (default: gunicorn's 2 x cores + 1)",
    )
    parser.add_argument("--postgresql-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database-prefix", default="tb_bench_")
    parser.add_argument("--output", type=Path, default=RESULTS_DIRECTORY / "latest.json")
    parser.add_argument(
        "--keep-databases", action="store_true", help="leave the databases for inspection"
    )
    arguments = parser.parse_args()
    options = RunOptions(
        sizes=QUICK if arguments.quick else FULL,
        postgresql_url=arguments.postgresql_url,
        database_prefix=arguments.database_prefix,
        tallybook_workers=arguments.workers,
        drf_workers=arguments.drf_workers,
        work_directory=RESULTS_DIRECTORY / "work",
    )
    return options, arguments


def _figure(value: float) -> float | None:
    return None if math.isnan(value) else value


def _times(throughput: float | None, factor: float) -> float | None:
    return None if throughput is None else throughput * factor


def postgresql_floor(workload: str, served: Row, raw: Row) -> tuple[str, float | None]:
    """PostgreSQL's part of a CPU floor for `workload`'s rows: the least it spent a transfer
    on them, under Tallybook's own batches or the raw driver's of `CLIENTS` (the most 64
    clients can have waiting), with what it was. None when either was not measured."""
    parts = [
        (f"PostgreSQL's share of {workload}", served.postgresql_cpu_us),
        (f"PostgreSQL on {workload}'s rows, raw batches of {CLIENTS}", raw.postgresql_cpu_us),
    ]
    for what, cost in parts:
        if cost is None:
            return what, None
    return min(parts, key=lambda part: part[1] or 0.0)


def driver_floor(workload: str, raw: Row) -> tuple[str, float | None]:
    """The Python part of a CPU floor for `workload`'s rows: what the raw driver's loop
    spent a transfer computing them (ids, hashes, balances, with the engine's functions) and
    handing them to psycopg, its thread's CPU while applying (`raw_drivers.run_batches`).
    Any service that computes these rows in Python pays at least that."""
    return f"the raw driver's Python for {workload}'s rows", raw.server_cpu_us


def row(
    workload: str,
    system: str,
    result: LoadResult,
    *,
    per_request: int = 1,
    unit: str = TRANSFERS,
    note: str = "",
) -> Row:
    units = result.requests * per_request
    cpu = result.cpu

    def per_unit_us(seconds: float | None) -> float | None:
        return None if seconds is None or not units else seconds * 1_000_000 / units

    return Row(
        workload=workload,
        system=system,
        throughput=result.requests_per_second * per_request,
        unit=unit,
        p50_ms=_figure(result.p50_ms),
        p99_ms=_figure(result.p99_ms),
        errors=result.errors,
        note=note,
        machine_cpu_us=None if cpu is None else per_unit_us(cpu.machine),
        server_cpu_us=None if cpu is None else per_unit_us(cpu.server),
        postgresql_cpu_us=None if cpu is None else per_unit_us(cpu.postgresql),
    )


def main() -> None:
    options, arguments = parse_arguments()
    sizes = options.sizes
    work = options.work_directory
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    report = Report(sizes=sizes.name)
    wrk = ensure_wrk()
    report.environment = {
        "machine": machine(),
        "load_generator": subprocess.run(
            [wrk, "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0],
        "postgresql": server_settings(options.postgresql_url),
        "sqlite": "WAL, synchronous=FULL",
        "tallybook_workers": options.tallybook_workers,
        "drf_workers": options.drf_workers,
        "clients": CLIENTS,
        "load_seconds": sizes.load_seconds,
        "history_entries": sizes.history_entries,
        "history_depth": sizes.history_depth,
    }
    if report.environment["postgresql"].get("synchronous_commit") != "on":
        report.notes.append("PostgreSQL synchronous_commit is not on: figures are not durable")
    if report.environment["postgresql"].get("autovacuum") == "off":
        report.notes.append(
            "PostgreSQL autovacuum is off on this server: the write databases run without "
            "planner statistics (the history and DRF databases are analyzed by the suite)"
        )
    started = time.perf_counter()

    def database(name: str) -> str:
        return recreate_database(options.postgresql_url, options.database_prefix + name)

    written: dict[str, str] = {}

    say("baselines' environments")
    drf_python = ensure_env("drf", work / "envs.log")
    hordak_python = ensure_env("hordak", work / "envs.log")

    say(f"W1-W3: Tallybook on PostgreSQL, {options.tallybook_workers} workers")
    written["postgresql (W1-W3)"] = url = database("write")
    fixture = prepare_write_database(url, ACCOUNTS, work / "accounts.txt", fund_customers=True)
    postgresql_writes = run_tallybook_writes(
        "tallybook-postgresql",
        url,
        fixture,
        workers=options.tallybook_workers,
        sizes=sizes,
        work=work,
        uniform=True,
    )

    say("W1, W4: the bare FastAPI POST endpoint (HTTP ceiling)")
    ceiling_script = transfer_script(
        work,
        "ceiling",
        path="/v1/transfers",
        headers={"Content-Type": "application/json", "Authorization": "Bearer unused"},
        body_template=TRANSFER_TEMPLATE,
        accounts_file=fixture.accounts_file,
        hot_account=None,
        idempotency=True,
    )
    ceilings: dict[int, LoadResult] = {}
    for workers in sorted({options.tallybook_workers, 1}, reverse=True):
        say(f"  bare FastAPI POST, {workers} worker{'s' if workers > 1 else ''}")
        service, base_url = ceiling_server(workers, work / "ceiling.log")
        with service:
            ceilings[workers] = measure(
                base_url,
                ceiling_script,
                connections=CLIENTS,
                sizes=sizes,
                log_path=work / "ceiling.log",
                server=service,
            )

    say("W1-W3: pgbench on the same PostgreSQL")
    pgbench_url = database("pgbench")
    pgbench.prepare(pgbench_url)
    pgbench_uniform = pgbench.run(pgbench_url, "uniform", pgbench.UNIFORM_SCRIPT, sizes, work)
    pgbench_hot = pgbench.run(pgbench_url, "hot", pgbench.HOT_SCRIPT, sizes, work)
    pgbench_hot_one = pgbench.run(pgbench_url, "hot", pgbench.HOT_SCRIPT, sizes, work, clients=1)

    say(f"W3: raw psycopg, batches of {BATCH_TRANSFERS}")
    written["postgresql raw driver (W3)"] = raw_url = database("raw")
    raw_fixture = prepare_write_database(
        raw_url, BATCH_TRANSFERS, work / "raw-accounts.txt", fund_customers=False
    )
    raw_postgresql = raw_drivers.run_batches(
        functools.partial(raw_drivers.postgresql_batch, raw_url, raw_fixture.tenant_id),
        raw_drivers.same_customers(
            raw_fixture.hot_account, raw_fixture.customers, BATCH_TRANSFERS, "raw-psycopg"
        ),
        threads=1,
        duration_seconds=sizes.load_seconds,
    )

    say(f"W1, W2: raw psycopg, batches of {CLIENTS}")
    written["postgresql raw driver (W1, W2)"] = raw_single_url = database("raw_single")
    raw_single_fixture = prepare_write_database(
        raw_single_url, ACCOUNTS, work / "raw-single-accounts.txt", fund_customers=True
    )
    raw_single: dict[str, LoadResult] = {}
    for workload, batches in (
        ("W1", raw_drivers.drawn_pairs(raw_single_fixture.customers, CLIENTS, "raw-uniform")),
        (
            "W2",
            raw_drivers.drawn_customers(
                raw_single_fixture.hot_account, raw_single_fixture.customers, CLIENTS, "raw-hot"
            ),
        ),
    ):
        raw_single[workload] = raw_drivers.run_batches(
            functools.partial(
                raw_drivers.postgresql_batch,
                raw_single_url,
                raw_single_fixture.tenant_id,
                probes=True,
            ),
            batches,
            threads=1,
            duration_seconds=sizes.load_seconds,
        )

    shape = shape_ending_an_hour_ago(sizes.history_entries)
    say(f"W1, W2, W5: the DRF baseline ({options.drf_workers} gunicorn workers)")
    drf_url = database("drf")
    drf_fixture = drf.prepare(drf_url, drf_python, shape, work)
    service, base_url = drf.server(drf_url, drf_python, options.drf_workers, work / "drf.log")
    with service:
        drf_results: dict[str, LoadResult] = {}
        for name, hot in (("uniform", None), ("hot", str(drf_fixture.hot_wallet))):
            say(f"  drf: one transfer a request, {CLIENTS} clients, {name}")
            script = transfer_script(
                work,
                f"drf-{name}",
                path="/api/balance/transfers/",
                headers={"Content-Type": "application/json"},
                body_template=drf.TRANSFER_TEMPLATE,
                accounts_file=drf_fixture.accounts_file,
                hot_account=hot,
                idempotency=False,
            )
            drf_results[name] = measure(
                base_url,
                script,
                connections=CLIENTS,
                sizes=sizes,
                log_path=work / "drf.log",
                server=service,
            )
        drf_first, drf_deep = drf_pages(
            base_url, drf_fixture, depth=sizes.history_depth, sizes=sizes, work=work, server=service
        )

    say("W4: Tallybook on SQLite, one process")
    sqlite_path = work / "tallybook-w4.db"
    written["sqlite (W4)"] = sqlite_url = f"sqlite:///{sqlite_path}"
    sqlite_fixture = prepare_write_database(
        sqlite_url, ACCOUNTS, work / "sqlite-accounts.txt", fund_customers=False
    )
    sqlite_writes = run_tallybook_writes(
        "tallybook-sqlite",
        sqlite_url,
        sqlite_fixture,
        workers=1,
        sizes=sizes,
        work=work,
        uniform=False,
    )

    say("W4: raw sqlite3")
    raw_sqlite_path = work / "raw-sqlite.db"
    written["sqlite raw driver (W4)"] = raw_sqlite_url = f"sqlite:///{raw_sqlite_path}"
    # As many customers as W4's own database: batches of CLIENTS draw from them all, as W2's
    # requests do; batches of BATCH_TRANSFERS pay the first 1,000, as the batch body does.
    raw_sqlite_fixture = prepare_write_database(
        raw_sqlite_url, ACCOUNTS, work / "raw-sqlite-accounts.txt", fund_customers=False
    )
    payer, payees = raw_sqlite_fixture.hot_account, raw_sqlite_fixture.customers
    raw_sqlite: dict[int, LoadResult] = {}
    shapes = (
        (CLIENTS, raw_drivers.drawn_customers(payer, payees, CLIENTS, "raw-single")),
        (BATCH_TRANSFERS, raw_drivers.same_customers(payer, payees, BATCH_TRANSFERS, "raw")),
    )
    for batch_size, batches in shapes:
        say(f"  raw sqlite3: batches of {batch_size}")
        raw_sqlite[batch_size] = raw_drivers.run_batches(
            functools.partial(
                raw_drivers.sqlite_batch, str(raw_sqlite_path), raw_sqlite_fixture.tenant_id
            ),
            batches,
            threads=1,
            duration_seconds=sizes.load_seconds,
        )

    say(f"W5, W6: a {sizes.history_entries:,}-entry history on PostgreSQL")
    written["postgresql history (W5, W6)"] = history_url = database("history")
    history = load_history(history_url, shape)
    service, base_url = tallybook_server(
        history_url, options.tallybook_workers, work / "tallybook-history.log"
    )
    with service:
        reads = tallybook_reads(
            base_url, history, depth=sizes.history_depth, sizes=sizes, work=work, server=service
        )

    say("W6 (and W1 for reference): django-hordak on the same PostgreSQL")
    hordak_url = database("hordak")
    hordak_results = hordak.run(hordak_url, hordak_python, shape.revenue_entries, sizes, work)

    say("tallybook verify on every database written")
    for name, database_url in written.items():
        report.verify[name] = verify(name, database_url, work / "verify.log")

    fill_report(
        report,
        options,
        postgresql_writes=postgresql_writes,
        sqlite_writes=sqlite_writes,
        ceilings=ceilings,
        pgbench_uniform=pgbench_uniform,
        pgbench_hot=pgbench_hot,
        pgbench_hot_one=pgbench_hot_one,
        raw_postgresql=raw_postgresql,
        raw_single=raw_single,
        raw_sqlite=raw_sqlite,
        drf_results=drf_results,
        drf_pages=(drf_first, drf_deep),
        reads=reads,
        hordak_results=hordak_results,
        revenue_entries=shape.revenue_entries,
    )
    report.environment["run_seconds"] = round(time.perf_counter() - started)
    if not arguments.keep_databases:
        for name in ("write", "pgbench", "raw", "raw_single", "drf", "history", "hordak"):
            drop_database(options.postgresql_url, options.database_prefix + name)
        for path in (sqlite_path, raw_sqlite_path):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    table = report.render()
    print(table)
    report.save(arguments.output)
    arguments.output.with_suffix(".txt").write_text(table + "\n", encoding="utf-8")
    say(f"saved {arguments.output} (logs in {work}); {report.environment['run_seconds']} s")
    if not report.ok:
        sys.exit("tallybook verify found drift: the run fails")


def fill_report(
    report: Report,
    options: RunOptions,
    *,
    postgresql_writes: WriteResults,
    sqlite_writes: WriteResults,
    ceilings: dict[int, LoadResult],
    pgbench_uniform: LoadResult,
    pgbench_hot: LoadResult,
    pgbench_hot_one: LoadResult,
    raw_postgresql: LoadResult,
    raw_single: dict[str, LoadResult],
    raw_sqlite: dict[int, LoadResult],
    drf_results: dict[str, LoadResult],
    drf_pages: tuple[LoadResult, LoadResult],
    reads: TallybookReads,
    hordak_results: hordak.HordakResults,
    revenue_entries: int,
) -> None:
    """The rows and the issue's targets, each target computed from rows of the same run."""
    sizes = options.sizes
    workers = options.tallybook_workers
    cores = os.cpu_count() or 1

    # W1
    uniform = postgresql_writes.uniform
    assert uniform is not None
    w1 = report.add(row("W1", f"tallybook, PostgreSQL, {workers} workers", uniform))
    w1_pgbench = report.add(row("W1", f"pgbench uniform, {CLIENTS} clients", pgbench_uniform))
    w1_ceiling = report.add(
        row("W1", f"bare FastAPI POST, {workers} workers", ceilings[workers], unit=REQUESTS)
    )
    w1_drf = report.add(
        row("W1", f"DRF + gunicorn, {options.drf_workers} workers", drf_results["uniform"])
    )
    report.add(
        row(
            "W1",
            f"django-hordak transfer_to, {hordak.TRANSFER_THREADS} threads",
            hordak_results.transfers,
            note="reference only: no balance row, no funds check, not over HTTP",
        )
    )
    # What serving a transfer over HTTP costs at the least, whatever the service does: the
    # bare endpoint's CPU a request, its server's and the load generator's.
    http_floor = ("the bare endpoint a request", w1_ceiling.machine_cpu_us)
    w1_raw = report.add(
        row(
            "W1",
            f"raw psycopg, batches of {CLIENTS}",
            raw_single["W1"],
            per_request=CLIENTS,
            note="W1's rows written by the driver alone: PostgreSQL's least share, and the "
            "least Python (server column: the loop's own CPU while applying)",
        )
    )
    w1_floor = [http_floor, postgresql_floor("W1", w1, w1_raw), driver_floor("W1", w1_raw)]
    for description, baseline, required in (
        ("vs pgbench uniform", w1_pgbench, 0.5),
        ("vs bare FastAPI POST", w1_ceiling, 0.6),
    ):
        report.target(
            "W1",
            description,
            ratio(w1.throughput, baseline.throughput),
            required,
            beyond=cpu_ceiling(_times(baseline.throughput, required), cores, w1_floor),
        )
    report.target("W1", "vs DRF", ratio(w1.throughput, w1_drf.throughput), 5)

    # W2
    w2 = report.add(row("W2", f"tallybook, PostgreSQL, {workers} workers", postgresql_writes.hot))
    report.add(row("W2", f"pgbench hot, {CLIENTS} clients", pgbench_hot))
    report.add(row("W2", "pgbench hot, 1 client", pgbench_hot_one))
    w2_raw = report.add(
        row(
            "W2",
            f"raw psycopg, batches of {CLIENTS}",
            raw_single["W2"],
            per_request=CLIENTS,
            note="W2's rows written by the driver alone: PostgreSQL's least share, and the "
            "least Python (server column: the loop's own CPU while applying)",
        )
    )
    best_hot = max(pgbench_hot.requests_per_second, pgbench_hot_one.requests_per_second)
    w2_drf = report.add(
        row("W2", f"DRF + gunicorn, {options.drf_workers} workers", drf_results["hot"])
    )
    report.target(
        "W2",
        "vs pgbench hot (better of the two)",
        ratio(w2.throughput, best_hot),
        3,
        beyond=cpu_ceiling(
            3 * best_hot,
            cores,
            [http_floor, postgresql_floor("W2", w2, w2_raw), driver_floor("W2", w2_raw)],
        ),
    )
    report.target("W2", "vs DRF", ratio(w2.throughput, w2_drf.throughput), 10)
    report.target("W2", "p99", w2.p99_ms, 50, Comparison.AT_MOST, "ms")
    report.target("W2", "errors", float(w2.errors or 0), 0, Comparison.AT_MOST, "errors")

    # W3
    w3 = report.add(
        row(
            "W3",
            f"tallybook batch endpoint, {sizes.batch_clients} clients",
            postgresql_writes.batch,
            per_request=BATCH_TRANSFERS,
        )
    )
    w3_raw = report.add(
        row(
            "W3",
            f"raw psycopg, batches of {BATCH_TRANSFERS}",
            raw_postgresql,
            per_request=BATCH_TRANSFERS,
        )
    )
    report.target("W3", "vs raw psycopg batch", ratio(w3.throughput, w3_raw.throughput), 0.5)
    report.target(
        "W3",
        "vs pgbench hot (better of the two)",
        ratio(w3.throughput, best_hot),
        30,
        beyond=cpu_ceiling(
            30 * best_hot,
            cores,
            [
                ("PostgreSQL on the raw driver's rows", w3_raw.postgresql_cpu_us),
                driver_floor("W3", w3_raw),
            ],
        ),
    )

    # W4
    w4_single = report.add(row("W4", "tallybook SQLite, single transfers (W2)", sqlite_writes.hot))
    w4_batch = report.add(
        row(
            "W4",
            "tallybook SQLite, batch endpoint (W3)",
            sqlite_writes.batch,
            per_request=BATCH_TRANSFERS,
        )
    )
    raw_small = report.add(
        row(
            "W4",
            f"raw sqlite3, batches of {CLIENTS}",
            raw_sqlite[CLIENTS],
            per_request=CLIENTS,
            note=f"{CLIENTS} clients can have at most {CLIENTS} transfers waiting; each pays "
            "a customer drawn from all, under its own key, as W2's requests do",
        )
    )
    raw_large = report.add(
        row(
            "W4",
            f"raw sqlite3, batches of {BATCH_TRANSFERS}",
            raw_sqlite[BATCH_TRANSFERS],
            per_request=BATCH_TRANSFERS,
        )
    )
    w4_ceiling = report.add(
        row("W4", "bare FastAPI POST, 1 worker (one process)", ceilings[1], unit=REQUESTS)
    )
    report.target(
        "W4",
        f"single vs raw sqlite3 batch of {CLIENTS}",
        ratio(w4_single.throughput, raw_small.throughput),
        0.5,
        beyond=throughput_ceiling(
            _times(raw_small.throughput, 0.5),
            w4_ceiling.throughput,
            "the bare FastAPI endpoint in one process",
        ),
    )
    report.target(
        "W4",
        f"batch vs raw sqlite3 batch of {BATCH_TRANSFERS}",
        ratio(w4_batch.throughput, raw_large.throughput),
        0.5,
    )

    # W5
    depth = f"{sizes.history_depth:,} deep"
    first = report.add(
        row("W5", f"tallybook first page, {sizes.history_entries:,} entries", reads.first_page,
            unit=REQUESTS)
    )  # fmt: skip
    deep = report.add(row("W5", f"tallybook page {depth}", reads.deep_page, unit=REQUESTS))
    report.add(row("W5", "DRF first page", drf_pages[0], unit=REQUESTS))
    drf_deep = report.add(row("W5", f"DRF page {depth} (?page=)", drf_pages[1], unit=REQUESTS))
    report.target("W5", "first page p50", first.p50_ms, 5, Comparison.AT_MOST, "ms")
    report.target("W5", "deep page p50", deep.p50_ms, 5, Comparison.AT_MOST, "ms")
    report.target(
        "W5", "deep / first p50", ratio(deep.p50_ms, first.p50_ms), 1.5, Comparison.AT_MOST
    )
    report.target("W5", "DRF deep / tallybook deep p50", ratio(drf_deep.p50_ms, deep.p50_ms), 50)

    # W6
    now = report.add(
        row("W6", f"tallybook balance now, {revenue_entries:,} entries", reads.balance_now,
            unit=REQUESTS)
    )  # fmt: skip
    as_of = report.add(
        row("W6", "tallybook balance as of a past moment", reads.balance_as_of, unit=REQUESTS)
    )
    hordak_now = report.add(
        row(
            "W6",
            f"django-hordak get_balance() ({hordak_results.legs:,} legs)",
            hordak_results.balance_now,
            unit=REQUESTS,
            note="in process, no HTTP",
        )
    )
    hordak_as_of = report.add(
        row(
            "W6",
            "django-hordak get_balance(as_of=date)",
            hordak_results.balance_as_of,
            unit=REQUESTS,
            note="in process, no HTTP",
        )
    )
    report.target("W6", "balance now p50", now.p50_ms, 2, Comparison.AT_MOST, "ms")
    report.target("W6", "balance as of p50", as_of.p50_ms, 2, Comparison.AT_MOST, "ms")
    report.target("W6", "hordak / tallybook, now", ratio(hordak_now.p50_ms, now.p50_ms), 100)
    report.target("W6", "hordak / tallybook, as of", ratio(hordak_as_of.p50_ms, as_of.p50_ms), 100)

    report.notes.append(
        "load generator: wrk (Lua scripts; latency as the client sees it, HTTP included)"
    )
    if sizes is QUICK:
        report.notes.append(
            f"quick run: {sizes.load_seconds} s per load, a {sizes.history_entries:,}-entry "
            f"history (the issue's W5 is 5,000,000, page 100,000 deep; W6 1,000,000 entries)"
        )


if __name__ == "__main__":
    main()
