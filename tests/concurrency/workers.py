"""Several engines on one database, as several server processes would be, and threads that
start at the same instant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

ENGINES = 4

T = TypeVar("T")


def run_together(workers: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(worker_number)` on `workers` threads released at the same instant."""
    barrier = threading.Barrier(workers)

    def start(number: int) -> T:
        barrier.wait()
        return work(number)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(start, range(workers)))
