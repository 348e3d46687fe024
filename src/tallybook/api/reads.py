"""Running a request's reads: one hop to the threadpool, one database transaction.

A sync endpoint costs FastAPI two threadpool hops (the endpoint, then checking its answer),
and each ledger read its own pool checkout, BEGIN and ROLLBACK. For a one-row read those are
most of the time, so the busy read endpoints are async and hand their whole body to
`in_one_read`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from tallybook.ledger import Ledger

P = ParamSpec("P")
R = TypeVar("R")


async def in_one_read(ledger: Ledger, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`work(*args, **kwargs)` in the threadpool, every read it makes in one transaction."""

    def run() -> R:
        with ledger.reading():
            return work(*args, **kwargs)

    return await run_in_threadpool(run)
