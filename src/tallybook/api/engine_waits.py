"""Async code waiting for the posting engine: one event-loop wake-up per batch, and a waiter
that gives up never cancels the work it waited for.

Why not `asyncio.wrap_future`:

- It wakes the event loop once per command: the engine thread, having committed a batch of
  dozens, makes a `call_soon_threadsafe` (a handle and a write to the loop's wake-up pipe) for
  each of its futures, while it holds the GIL the event loop needs. Here the engine thread
  only appends each resolved future to a list; the first append of a batch schedules one
  delivery, and the loop hands every result to its waiter in one go.
- When the awaiting task is cancelled (server shutdown, the hold-expiry task stopping), it
  cancels the engine's future. The engine applies the command anyway — it is queued, and
  may already be committed — and then cannot resolve the cancelled future: `set_result`
  raises `InvalidStateError` in the engine thread, which stops it, and every later write
  waits forever. Here a cancelled waiter is simply not told; the command's outcome stands
  (a retry with the same `Idempotency-Key` gets it).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from concurrent.futures import Future
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class _Deliveries:
    """The engine futures resolved for one event loop and not yet handed to their waiters."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._resolved: list[tuple[Future[Any], asyncio.Future[Any]]] = []

    def waiter(self, future: Future[T]) -> asyncio.Future[T]:
        waiter: asyncio.Future[T] = self._loop.create_future()
        future.add_done_callback(partial(self._on_resolved, waiter))
        return waiter

    def _on_resolved(self, waiter: asyncio.Future[Any], future: Future[Any]) -> None:
        """In the thread that resolved `future` (the engine's, usually)."""
        with self._lock:
            first = not self._resolved
            self._resolved.append((future, waiter))
        if first:  # later ones of the batch ride on this delivery
            # RuntimeError: the loop is closed, nobody waits any more.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        """On the loop: every result resolved since the last delivery, to its waiter."""
        with self._lock:
            resolved, self._resolved = self._resolved, []
        for future, waiter in resolved:
            if waiter.done():  # its task was cancelled
                continue
            if future.cancelled():
                waiter.cancel()
                continue
            error = future.exception()
            if error is None:
                waiter.set_result(future.result())
            else:
                waiter.set_exception(error)


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Deliveries] = (
    weakref.WeakKeyDictionary()
)
_BY_LOOP_LOCK = threading.Lock()


def engine_waiter(future: Future[T]) -> asyncio.Future[T]:
    """An asyncio future of the running loop that gets `future`'s outcome. Cancelling it
    leaves `future` alone."""
    loop = asyncio.get_running_loop()
    deliveries = _BY_LOOP.get(loop)
    if deliveries is None:
        with _BY_LOOP_LOCK:
            deliveries = _BY_LOOP.setdefault(loop, _Deliveries(loop))
    return deliveries.waiter(future)
