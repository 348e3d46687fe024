"""What one run of the suite measures and how big: the full run and the quick one differ only
in sizes and durations, never in what is measured or how."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BENCH_DIRECTORY = Path(__file__).resolve().parent.parent
REPOSITORY = BENCH_DIRECTORY.parent
ENVS_DIRECTORY = BENCH_DIRECTORY / ".envs"
BASELINES_DIRECTORY = BENCH_DIRECTORY / "baselines"
RESULTS_DIRECTORY = BENCH_DIRECTORY / "results"
TALLYBOOK_BIN = REPOSITORY / ".venv" / "bin"

# The figures: W1/W2 with 64 concurrent clients on 10,000 uniform accounts, W3 with
# 1,000 transfers a request, W5 a page of 100 entries 100,000 rows deep.
CLIENTS = 64
ACCOUNTS = 10_000
BATCH_TRANSFERS = 1_000
# compare_writes.py --instructions: concurrent transfers a counted round sends (see
# transfer_requests.py)
ROUND_REQUESTS = 32
HISTORY_PAGE = 100
HISTORY_DEPTH = 100_000


@dataclass(frozen=True)
class Sizes:
    """The knobs that make a run quick or full."""

    name: str
    # seconds of load per HTTP measurement, after a warm-up of `warmup_seconds`
    load_seconds: int
    warmup_seconds: int
    # seconds of single-client requests per read measurement (W5, W6)
    read_seconds: int
    # W5: entries in the history database and how deep the deep page starts; W6 reads the
    # account every order payment credits, which has a fifth of them (see history_shape)
    history_entries: int
    history_depth: int
    # concurrent connections for the batch workload (W3, W4 batch)
    batch_clients: int


FULL = Sizes(
    name="full",
    load_seconds=20,
    warmup_seconds=3,
    read_seconds=5,
    history_entries=5_000_000,
    history_depth=HISTORY_DEPTH,
    batch_clients=4,
)
QUICK = Sizes(
    name="quick",
    load_seconds=3,
    warmup_seconds=1,
    read_seconds=1,
    history_entries=250_000,
    history_depth=40_000,
    batch_clients=4,
)


@dataclass(frozen=True)
class RunOptions:
    sizes: Sizes
    postgresql_url: str  # server URL without a database: postgresql://postgres@127.0.0.1:5432
    database_prefix: str
    tallybook_workers: int
    drf_workers: int
    work_directory: Path
