"""django-hordak's figures, from bench/baselines/hordak_bench.py run in its own environment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from suite.config import BASELINES_DIRECTORY, Sizes
from suite.loadgen import LoadResult
from suite.processes import run_logged, say

BALANCE_CALLS = 10
TRANSFER_THREADS = 8


@dataclass(frozen=True)
class HordakResults:
    legs: int
    balance_now: LoadResult
    balance_as_of: LoadResult
    transfers: LoadResult


def run(url: str, python: Path, legs: int, sizes: Sizes, work: Path) -> HordakResults:
    say(f"  django-hordak: {legs:,} legs on one account, get_balance(), transfer_to()")
    output = run_logged(
        [
            python,
            BASELINES_DIRECTORY / "hordak_bench.py",
            "--database-url",
            url,
            "--legs",
            str(legs),
            "--balance-calls",
            str(BALANCE_CALLS),
            "--transfer-threads",
            str(TRANSFER_THREADS),
            "--transfer-seconds",
            str(sizes.load_seconds),
        ],
        work / "hordak.log",
    )
    figures = json.loads(output.strip().splitlines()[-1])

    def calls(key: str) -> LoadResult:
        p50 = float(figures[key]["p50_ms"])
        return LoadResult(BALANCE_CALLS, BALANCE_CALLS * p50 / 1000, p50,
                          float(figures[key]["p99_ms"]), 0)  # fmt: skip

    moved = figures["transfer_to"]
    return HordakResults(
        legs=int(figures["legs"]),
        balance_now=calls("balance_now"),
        balance_as_of=calls("balance_as_of"),
        transfers=LoadResult(
            int(moved["transfers"]),
            float(moved["seconds"]),
            float(moved["p50_ms"]),
            float(moved["p99_ms"]),
            0,
        ),
    )
