"""The suite's W1-W3 for two versions of Tallybook, taking turns, each on a fresh database.

Why: this shared machine's speed drifts by a third within the hour, so two versions measured
in separate runs of the suite say little about a change. Here they alternate, round after
round, each going first in every other round (`in_turn`), in one process tree: the baseline
served from a git worktree of `--baseline`, the candidate from this tree; the table shows
every round, then each version's medians and their ratio. Each round runs the suite's own
W1-W3 sequence (uniform, hot, 1,000-transfer batches, one server session on a database just
prepared), so what a long-lived server does to a database that starts empty is part of what is
measured. The databases are prepared by this tree's code, then taken down to the schema of a
version whose migrations end earlier (`schema_of`), so a baseline before a migration runs on
its own schema. Every database is checked with `tallybook verify` before it is dropped.

    .venv/bin/python bench/compare_writes.py --baseline REV [--candidate REV] [--rounds 3] [--full]

With `--sqlite`, W4 instead: the same sequence less W1 (one hot account, then the batches)
on a fresh SQLite file served by one process, as the suite's W4 runs.

With `--candidate`, the candidate is served from a worktree of that revision too, so two past
commits can be set against each other (which of several changes cost a figure).

With `--instructions N`, each version's W2 transfer is also counted in instructions under
valgrind (`suite/transfer_requests.py`: N rounds of 32 concurrent transfers on the hot
account through the ASGI app in one process, engine thread included, less a run of none,
divided by the transfers): a figure the machine's speed does not move, for the app's own
cost; PostgreSQL's is not in it. The batches each version's engine committed are shown
beside it (a round is the idle engine's lone first transfer, then a batch of the rest).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from suite.config import ACCOUNTS, BATCH_TRANSFERS, ROUND_REQUESTS, Sizes
from suite.instructions import counts_table, instructions_per_request, require_valgrind
from suite.loadgen import ensure_wrk
from suite.postgres import drop_database, recreate_database
from suite.processes import say
from suite.tallybook_setup import WriteFixture, prepare_write_database
from suite.tallybook_writes import run_tallybook_writes
from suite.verify import verify
from suite.versions import Round, add_version_arguments, in_turn, served_versions, sizes_of, table
from tallybook.storage import migrate
from tallybook.storage.database import Database

DATABASE_NAME = "tb_compare_writes"
COLUMNS = ("W1 /s", "W1 p99 ms", "W2 /s", "W2 p99 ms", "W3 /s")
SQLITE_COLUMNS = ("W4 /s", "W4 p99 ms", "W4 batch /s")  # W4 single, then its batches


def require_clean(url: str, work: Path) -> None:
    """`tallybook verify` on the comparison's database; stop on any drift."""
    if not verify("compare", url, work / "verify.log"):
        sys.exit(f"tallybook verify found drift in {url}; see {work / 'verify.log'}")


def verify_and_drop(server_url: str, url: str, work: Path) -> None:
    require_clean(url, work)
    drop_database(server_url, DATABASE_NAME)


def schema_of(url: str, source: Path | None) -> None:
    """Take the database at `url`, prepared at this tree's newest revision, down to the newest
    of the version served from `source` (None: this tree), when that one is older."""
    if source is None:
        return
    revision = migrate.head_revision(source / "tallybook" / "storage" / "migrations")
    if revision is not None and revision != migrate.head_revision():
        database = Database(url)
        migrate.downgrade(database, revision)
        database.dispose()


def one_sqlite_round(source: Path | None, sizes: Sizes, work: Path) -> list[float]:
    """W4 on a fresh SQLite file, served by one process from `source` (see `one_round`)."""
    path = work / f"{DATABASE_NAME}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    fixture = prepare_write_database(url, ACCOUNTS, work / "accounts.txt", fund_customers=False)
    schema_of(url, source)
    results = run_tallybook_writes(
        "compare", url, fixture, workers=1, sizes=sizes, work=work, uniform=False,
        source=source,
    )  # fmt: skip
    require_clean(url, work)
    return [
        results.hot.requests_per_second,
        results.hot.p99_ms,
        results.batch.requests_per_second * BATCH_TRANSFERS,
    ]


def one_round(server_url: str, source: Path | None, sizes: Sizes, work: Path) -> list[float]:
    """W1-W3 on a fresh database, served from `source` (a `src` directory; None: this tree)."""
    url = recreate_database(server_url, DATABASE_NAME)
    fixture = prepare_write_database(url, ACCOUNTS, work / "accounts.txt", fund_customers=True)
    schema_of(url, source)
    results = run_tallybook_writes(
        "compare", url, fixture, workers=2, sizes=sizes, work=work, uniform=True,
        source=source,
    )  # fmt: skip
    verify_and_drop(server_url, url, work)
    assert results.uniform is not None
    return [
        results.uniform.requests_per_second,
        results.uniform.p99_ms,
        results.hot.requests_per_second,
        results.hot.p99_ms,
        results.batch.requests_per_second * BATCH_TRANSFERS,
    ]


def instructions_per_transfer(
    url: str, fixture: WriteFixture, source: Path | None, rounds: int
) -> tuple[int, str]:
    """Instructions one W2 transfer costs the app, and the batches its engine committed."""
    arguments = [url, fixture.api_key, str(fixture.hot_account), str(fixture.accounts_file)]
    return instructions_per_request(
        "transfer_requests.py", arguments, source, rounds, ROUND_REQUESTS
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_version_arguments(parser)
    parser.add_argument(
        "--instructions", type=int, default=0, metavar="N",
        help=f"also count a W2 transfer's instructions over N rounds of {ROUND_REQUESTS} "
        "(needs valgrind)",
    )  # fmt: skip
    parser.add_argument(
        "--sqlite", action="store_true", help="W4 (SQLite, one process) instead of W1-W3"
    )
    arguments = parser.parse_args()
    ensure_wrk()
    if arguments.instructions:
        require_valgrind()
    sizes = sizes_of(arguments)
    rows: list[Round] = []
    counts: dict[str, int] = {}
    batches: dict[str, str] = {}
    with served_versions(arguments) as versions, tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        for number in range(1, arguments.rounds + 1):
            for version, source in in_turn(versions, number):
                say(f"round {number}: {version}")
                figures = (
                    one_sqlite_round(source, sizes, work)
                    if arguments.sqlite
                    else one_round(arguments.postgresql_url, source, sizes, work)
                )
                rows.append((number, version, figures))
        if arguments.instructions:
            url = recreate_database(arguments.postgresql_url, DATABASE_NAME)
            fixture = prepare_write_database(
                url, ACCOUNTS, work / "accounts.txt", fund_customers=True
            )
            for version, source in versions:
                say(f"{version}: counting the instructions of a W2 transfer")
                counts[version], committed = instructions_per_transfer(
                    url, fixture, source, arguments.instructions
                )
                batches[version] = f"({committed})"
            verify_and_drop(arguments.postgresql_url, url, work)
    print(table(rows, versions, SQLITE_COLUMNS if arguments.sqlite else COLUMNS, ",.0f"))
    if counts:
        title = (
            "\ninstructions per W2 transfer (the app, in process; "
            f"{arguments.instructions} rounds of {ROUND_REQUESTS})"
        )
        print(counts_table(title, counts, versions, batches))


if __name__ == "__main__":
    main()
