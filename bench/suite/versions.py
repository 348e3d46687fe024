"""Two versions of Tallybook measured by turns: a git worktree to serve the baseline from,
and the table of every round with each version's medians and their ratio (compare_writes.py,
compare_reads.py)."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from suite.config import REPOSITORY

# (round number, version, one figure per column)
Round = tuple[int, str, list[float]]


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
    rows: list[Round], versions: tuple[str, str], columns: Sequence[str], figure_format: str
) -> str:
    """Every round, then each version's medians and the candidate's ratio to the baseline."""

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
        for version in versions
    }
    lines += [line("median", version, medians[version]) for version in versions]
    baseline, candidate = versions
    ratios = [new / old for new, old in zip(medians[candidate], medians[baseline], strict=True)]
    lines.append(f"{'ratio':<22}" + "".join(f"{ratio:>11.2f}x" for ratio in ratios))
    return "\n".join(lines)
