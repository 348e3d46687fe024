"""Where the parts of a posting batch run: all on the engine thread, or on an event loop.

A batch is one coroutine (`PostingEngine._process`) that awaits each part that can take a
while through its lane: opening the write transaction, the statements, the commit, a retry's
backoff. On the engine thread (`ThreadLane`) every part runs as it is awaited, so the
coroutine never suspends and is run to its end by `finish_now`. On a served SQLite database
(`LoopLane`) the statements run on the event loop's own thread and only the waits (the
commit's fsync, a write lock another connection holds, a backoff) on a helper thread.

Why the event loop: SQLite statements are calls into this process, each of which lets go of
the GIL and takes it back. Run from the engine thread, every one of a batch's hundred or so
calls waited for the event loop to give the GIL back, which it does only when it waits for the
network or its switch interval (5 ms) ends; so while the event loop read requests and wrote
answers, the engine could not work, and the two took turns with the disk idle. On the loop's
thread a batch's statements run in one go, and the fsync, which holds no GIL, overlaps the
loop's work on the requests of the next batch.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, RootTransaction

from tallybook.storage.database import Database

T = TypeVar("T")

# A batch of more transfers than this runs its statements on the helper thread, as on the
# engine thread: a 1,000-transfer batch takes a tenth of a second, which the event loop would
# spend unable to answer anything else.
LOOP_STATEMENTS_MAX_TRANSFERS = 256


# The interpreter's switch interval while the batches run on the loop (Python's default is
# 5 ms). Why: when the commit's fsync ends, the helper thread needs the GIL to say so, and
# the busy event loop gave it up only when its 5 ms ran out: the next batch, which waits for
# that commit, began up to 5 ms late. W4 single, 3 alternating rounds of 10 s: 3,102
# transfers/s at 5 ms, 3,341 at 0.5 ms, 3,339 at 0.1 ms (a session script); the suite's
# compare_writes --sqlite: 1.04x, W4 batch 0.96x
# (bench/results/compare-writes-session19-switch.txt).
LOOP_SWITCH_INTERVAL_SECONDS = 0.0005

_switching_lock = threading.Lock()
_loops_switching = 0  # engines inside `frequent_switches`
_interval_before_seconds = 0.0


@contextmanager
def frequent_switches() -> Iterator[None]:
    """The interpreter's switch interval at `LOOP_SWITCH_INTERVAL_SECONDS` inside, and back to
    what it was once the last of several engines (on loops of their own) has left."""
    global _loops_switching, _interval_before_seconds
    with _switching_lock:
        if _loops_switching == 0:
            _interval_before_seconds = sys.getswitchinterval()
            sys.setswitchinterval(LOOP_SWITCH_INTERVAL_SECONDS)
        _loops_switching += 1
    try:
        yield
    finally:
        with _switching_lock:
            _loops_switching -= 1
            if _loops_switching == 0:
                sys.setswitchinterval(_interval_before_seconds)


class _Now(Generic[T]):
    """An awaitable that does its work when awaited, without suspending."""

    __slots__ = ("_work",)

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work

    def __await__(self) -> Generator[Any, None, T]:
        yield from ()
        return self._work()


def finish_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end in this thread; it must never suspend (a `ThreadLane`
    batch)."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a batch on the engine thread waited for an event loop")


class Lane(ABC):
    """Runs a batch's parts; keeps the write connection its batches share (None: open one)."""

    def __init__(self) -> None:
        self.connection: Connection | None = None

    def close_connection(self) -> None:
        """Close the shared connection (after a failed attempt, or when done): the next
        batch opens a fresh one."""
        if self.connection is not None:
            connection, self.connection = self.connection, None
            connection.close()

    @abstractmethod
    def begin(self, connection: Connection) -> Awaitable[RootTransaction]:
        """The batch's write transaction on `connection` (SQLite: `BEGIN IMMEDIATE`)."""

    @abstractmethod
    def statements(self, work: Callable[[], T], transfers: int) -> Awaitable[T]:
        """`work` (the batch's statements, for `transfers` transfers) done."""

    @abstractmethod
    def waiting(self, work: Callable[[], T]) -> Awaitable[T]:
        """`work` that waits (a commit, a sleep) done."""


class ThreadLane(Lane):
    """Everything in the calling thread, the engine's, as it is awaited."""

    def begin(self, connection: Connection) -> Awaitable[RootTransaction]:
        return _Now(connection.begin)

    def statements(self, work: Callable[[], T], transfers: int) -> Awaitable[T]:
        return _Now(work)

    def waiting(self, work: Callable[[], T]) -> Awaitable[T]:
        return _Now(work)


class LoopLane(Lane):
    """The statements on the event loop's thread (of batches up to
    `LOOP_STATEMENTS_MAX_TRANSFERS`), the waits on a helper thread of the lane's own."""

    def __init__(self, loop: asyncio.AbstractEventLoop, database: Database) -> None:
        super().__init__()
        self._loop = loop
        self._database = database
        self._helper = ThreadPoolExecutor(1, thread_name_prefix="tallybook-posting-commit")

    def close(self) -> None:
        """The connection, and the helper thread once its last wait is done."""
        self.close_connection()
        self._helper.shutdown()

    async def begin(self, connection: Connection) -> RootTransaction:
        """At once when SQLite's write lock is free; else waited for on the helper thread (a
        command of the CLI, another worker, a set-up write of this process holds it)."""
        transaction = self._database.try_begin_write(connection)
        if transaction is None:
            transaction = await self.waiting(connection.begin)
        return transaction

    def statements(self, work: Callable[[], T], transfers: int) -> Awaitable[T]:
        if transfers <= LOOP_STATEMENTS_MAX_TRANSFERS:
            return _Now(work)
        return self.waiting(work)

    def waiting(self, work: Callable[[], T]) -> Awaitable[T]:
        return self._loop.run_in_executor(self._helper, work)
