"""Instructions a request costs Tallybook's Python, counted under valgrind: what the two
comparisons report beside their timings with `--instructions N`.

Why: this shared machine's speed drifts by a third within the hour, so a change worth a few
per cent cannot be seen in throughput or latency; an instruction count does not drift. A
script (`page_requests.py`, `transfer_requests.py`) sends requests through the ASGI app in one
process, engine thread included; it runs once with N and once with none, and the difference
is divided by the requests N stands for. PostgreSQL's work is not in it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from suite.config import BENCH_DIRECTORY, TALLYBOOK_BIN
from suite.versions import Version
from tallybook.settings import Settings


def counted_app_settings(database_url: str) -> Settings:
    """The settings of the counted scripts' app: work a server does on a clock rather than per
    request (the hold expirer every 5 s, a remembered API key's refresh after 2.5 s) put off
    past the count. Under valgrind, fifty times slower, it ran dozens of times a count, as
    often as the count lasted: two counts of the same code differed by 2.6%."""
    return Settings(
        database_url=database_url, hold_expiry_interval_seconds=86_400, api_key_cache_seconds=300
    )


def require_valgrind() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")


def instructions_per_request(
    script: str,
    arguments: list[str],
    source: Path | None,
    count: int,
    requests_per_count: int = 1,
) -> tuple[int, str]:
    """Instructions one request costs: `suite/<script> *arguments count` counted, less the
    same with 0, over `count * requests_per_count` requests. Also what the script reported
    of its run with `count` (a `report: ` line on standard error), if anything."""

    def counted(n: int) -> tuple[int, str]:
        environment = os.environ | {"PYTHONPATH": str(source) if source else ""}
        command = [
            "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            str(TALLYBOOK_BIN / "python"), str(BENCH_DIRECTORY / "suite" / script),
            *arguments, str(n),
        ]  # fmt: skip
        completed = subprocess.run(
            command, capture_output=True, text=True, env=environment, check=False
        )
        found = re.search(r"Collected : (\d+)", completed.stderr)
        if completed.returncode != 0 or found is None:
            sys.exit(f"counting {script} with {n} failed:\n{completed.stderr[-3000:]}")
        report = re.search(r"^report: (.*)$", completed.stderr, re.MULTILINE)
        return int(found.group(1)), report.group(1) if report else ""

    with_requests, report = counted(count)
    without, _ = counted(0)
    return (with_requests - without) // (count * requests_per_count), report


def counts_table(
    title: str, counts: dict[str, int], versions: tuple[Version, Version], notes: dict[str, str]
) -> str:
    """Each version's count (and its note, if any), then the candidate's over the baseline's."""
    lines = [title]
    for version, _source in versions:
        note = f"  {notes[version]}" if version in notes else ""
        lines.append(f"{version:<22}{counts[version]:>14,}{note}")
    baseline, candidate = (counts[version] for version, _source in versions)
    lines.append(f"{'ratio':<22}{candidate / baseline:>13.2f}x")
    return "\n".join(lines)
