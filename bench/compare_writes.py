"""The suite's W1-W3 for two versions of Tallybook, taking turns, each on a fresh database.

Why: this shared machine's speed drifts by a third within the hour, so two versions measured
in separate runs of the suite say little about a change. Here they alternate, round after
round, in one process tree: the baseline served from a git worktree of `--baseline`, the
candidate from this tree; the table shows every round, then each version's medians and their
ratio. Each round runs the suite's own W1-W3 sequence (uniform, hot, 1,000-transfer batches,
one server session on a database just prepared), so what a long-lived server does to a
database that starts empty is part of what is measured. The databases are prepared by this
tree's code: the baseline must have the same schema (no migration between the two).
Every database is checked with `tallybook verify` before it is dropped.

    .venv/bin/python bench/compare_writes.py --baseline REV [--candidate REV] [--rounds 3] [--full]

With `--candidate`, the candidate is served from a worktree of that revision too, so two past
commits can be set against each other (which of several changes cost a figure).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from suite.config import ACCOUNTS, BATCH_TRANSFERS, Sizes
from suite.loadgen import ensure_wrk
from suite.postgres import drop_database, recreate_database
from suite.processes import say
from suite.tallybook_setup import prepare_write_database
from suite.tallybook_writes import run_tallybook_writes
from suite.verify import verify
from suite.versions import Round, add_version_arguments, served_versions, sizes_of, table

DATABASE_NAME = "tb_compare_writes"
COLUMNS = ("W1 /s", "W1 p99 ms", "W2 /s", "W2 p99 ms", "W3 /s")


def one_round(server_url: str, source: Path | None, sizes: Sizes, work: Path) -> list[float]:
    """W1-W3 on a fresh database, served from `source` (a `src` directory; None: this tree)."""
    url = recreate_database(server_url, DATABASE_NAME)
    fixture = prepare_write_database(url, ACCOUNTS, work / "accounts.txt", fund_customers=True)
    results = run_tallybook_writes(
        "compare", url, fixture, workers=2, sizes=sizes, work=work, uniform=True,
        source=source,
    )  # fmt: skip
    if not verify("compare", url, work / "verify.log"):
        sys.exit(f"tallybook verify found drift in {url}; see {work / 'verify.log'}")
    drop_database(server_url, DATABASE_NAME)
    assert results.uniform is not None
    return [
        results.uniform.requests_per_second,
        results.uniform.p99_ms,
        results.hot.requests_per_second,
        results.hot.p99_ms,
        results.batch.requests_per_second * BATCH_TRANSFERS,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_version_arguments(parser)
    arguments = parser.parse_args()
    ensure_wrk()
    sizes = sizes_of(arguments)
    rows: list[Round] = []
    with served_versions(arguments) as versions, tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        for number in range(1, arguments.rounds + 1):
            for version, source in versions:
                say(f"round {number}: {version}")
                figures = one_round(arguments.postgresql_url, source, sizes, work)
                rows.append((number, version, figures))
    print(table(rows, versions, COLUMNS, ",.0f"))


if __name__ == "__main__":
    main()
