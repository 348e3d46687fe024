"""Two versions of Tallybook measured by turns: a git worktree to serve the baseline from,
and the table of every round with each version's medians and their ratio (compare_writes.py,
compare_reads.py)."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from suite.config import FULL, QUICK, REPOSITORY, Sizes

# (round number, version, one figure per column)
Round = tuple[int, str, list[float]]
# a version's label, and the `src` directory it is served from (None: this tree's)
Version = tuple[str, Path | None]


def add_version_arguments(parser: argparse.ArgumentParser) -> None:
    """--baseline, --candidate, --rounds, --full and --postgresql-url, as both comparisons
    take them."""
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument(
        "--candidate", help="git revision to measure instead of this tree (same schema)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="the full suite's sizes and times")
    parser.add_argument("--postgresql-url", default="postgresql://postgres@127.0.0.1:5432")


def sizes_of(arguments: argparse.Namespace) -> Sizes:
    return FULL if arguments.full else QUICK


@contextmanager
def served_versions(arguments: argparse.Namespace) -> Iterator[tuple[Version, Version]]:
    """The baseline and the candidate (`--candidate`, or this tree), each checked out in a
    worktree while the comparison runs."""
    with ExitStack() as stack:
        baseline = stack.enter_context(worktree(arguments.baseline))
        candidate: Version = ("this tree", None)
        if arguments.candidate:
            tree = stack.enter_context(worktree(arguments.candidate))
            candidate = (arguments.candidate[:12], tree / "src")
        yield (arguments.baseline[:12], baseline / "src"), candidate


def in_turn(versions: tuple[Version, Version], number: int) -> tuple[Version, Version]:
    """The two versions in the order round `number` (from 1) runs them: the baseline first in
    odd rounds, the candidate first in even ones.

    Why: with the baseline always first, the candidate always ran second, on a server just
    left by the other version's round and its dropped database; in session 16 the candidate
    ran slower in every workload's median (W2 0.87x) with changes that cost fewer
    instructions, and nothing told that from a cost of running second.
    """
    return versions if number % 2 else (versions[1], versions[0])


@contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A checkout of `revision` beside the repository, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tallybook-baseline-") as directory:
        path = Path(directory) / "tree"
        subprocess.run(
            ["git", "-C", REPOSITORY, "worktree", "add", "--detach", path, revision],
            check=True,
            capture_output=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "-C", REPOSITORY, "worktree", "remove", "--force", path], check=False
            )


def table(
    rows: list[Round],
    versions: tuple[Version, Version],
    columns: Sequence[str],
    figure_format: str,
) -> str:
    """Every round, then each version's medians and the candidate's ratio to the baseline."""
    baseline, candidate = labels = (versions[0][0], versions[1][0])

    def line(first: str, second: str, figures: list[float]) -> str:
        return f"{first:<8}{second:<14}" + "".join(
            f"{format(figure, figure_format):>12}" for figure in figures
        )

    lines = [f"{'round':<8}{'version':<14}" + "".join(f"{name:>12}" for name in columns)]
    lines += [line(str(number), version, figures) for number, version, figures in rows]
    medians = {
        version: [
            statistics.median(column)
            for column in zip(*(f for _, v, f in rows if v == version), strict=True)
        ]
        for version in labels
    }
    lines += [line("median", version, medians[version]) for version in labels]
    ratios = [new / old for new, old in zip(medians[candidate], medians[baseline], strict=True)]
    lines.append(f"{'ratio':<22}" + "".join(f"{ratio:>11.2f}x" for ratio in ratios))
    return "\n".join(lines)
