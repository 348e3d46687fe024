"""The suite's W5 and W6 for two versions of Tallybook, taking turns on one history database.

Why: a history page's time is mostly the server's Python, and this shared machine's speed
drifts by a third within the hour, so two versions measured in separate runs say little about
a change. Here they alternate, round after round, each first in every other round, in one
process tree (see compare_writes.py for the worktree the baseline is served from): each
round serves one version with two workers and measures W5's first and deep page and W6's
two balances as the suite does (one client, wrk, p50 in ms). The versions must read the
same schema.

With `--instructions N`, each version's first page is also counted in instructions under
valgrind (N requests through the ASGI app in one process, less a run of none, divided by N):
a figure the machine's speed does not move, for the app's own cost; PostgreSQL's is not in it.

    .venv/bin/python bench/compare_reads.py --baseline REV [--candidate REV] [--rounds 3]
        [--full] [--instructions 100]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from suite.config import Sizes
from suite.history_load import HistoryFixture, load_history
from suite.history_reads import first_page_path, tallybook_reads
from suite.history_shape import shape_ending_an_hour_ago
from suite.instructions import counts_table, instructions_per_request, require_valgrind
from suite.loadgen import ensure_wrk
from suite.postgres import drop_database, recreate_database
from suite.processes import say
from suite.servers import tallybook_server
from suite.versions import Round, add_version_arguments, in_turn, served_versions, sizes_of, table

DATABASE_NAME = "tb_compare_reads"
COLUMNS = ("W5 first", "W5 deep", "W6 now", "W6 as of")
WORKERS = 2


def one_round(
    url: str, fixture: HistoryFixture, source: Path | None, sizes: Sizes, work: Path
) -> list[float]:
    """W5 and W6 p50s (ms), served from `source` (a `src` directory; None: this tree)."""
    service, base_url = tallybook_server(url, WORKERS, work / "server.log", source=source)
    with service:
        reads = tallybook_reads(base_url, fixture, depth=sizes.history_depth, sizes=sizes,
                                work=work)  # fmt: skip
    return [
        reads.first_page.p50_ms,
        reads.deep_page.p50_ms,
        reads.balance_now.p50_ms,
        reads.balance_as_of.p50_ms,
    ]


def instructions_per_page(
    url: str, fixture: HistoryFixture, source: Path | None, count: int
) -> int:
    """Instructions one first-page request costs the app (`suite/page_requests.py`)."""
    arguments = [url, first_page_path(fixture), fixture.api_key]
    instructions, _report = instructions_per_request("page_requests.py", arguments, source, count)
    return instructions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_version_arguments(parser)
    parser.add_argument(
        "--instructions", type=int, default=0, metavar="N",
        help="also count a first page's instructions over N requests (needs valgrind)",
    )  # fmt: skip
    arguments = parser.parse_args()
    ensure_wrk()
    if arguments.instructions:
        require_valgrind()
    sizes = sizes_of(arguments)
    rows: list[Round] = []
    counts: dict[str, int] = {}
    with served_versions(arguments) as versions, tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        url = recreate_database(arguments.postgresql_url, DATABASE_NAME)
        say(f"a {sizes.history_entries:,}-entry history")
        fixture = load_history(url, shape_ending_an_hour_ago(sizes.history_entries))
        for number in range(1, arguments.rounds + 1):
            for version, source in in_turn(versions, number):
                say(f"round {number}: {version}")
                rows.append((number, version, one_round(url, fixture, source, sizes, work)))
        if arguments.instructions:
            for version, source in versions:
                say(f"{version}: counting the instructions of a first page")
                counts[version] = instructions_per_page(
                    url, fixture, source, arguments.instructions
                )
        drop_database(arguments.postgresql_url, DATABASE_NAME)
    print("p50 ms, one client")
    print(table(rows, versions, COLUMNS, ".2f"))
    if counts:
        title = (
            "\ninstructions per first-page request (the app, in process; "
            f"{arguments.instructions} requests)"
        )
        print(counts_table(title, counts, versions, {}))


if __name__ == "__main__":
    main()
