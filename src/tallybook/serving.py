"""Serving the API: in one process, or in several worker processes each accepting on a
listening socket of its own (SO_REUSEPORT), so the kernel spreads new connections evenly over
the workers; either way with the garbage collector set for a server (`tune_collector`).

Why not uvicorn's own workers: they share one socket, and the worker that wakes for a new
connection accepts every connection then waiting (asyncio accepts up to the backlog at once).
A client that opens its connections together — a proxy's pool, a load generator — lands them
mostly on one worker. Measured with two workers and 64 keep-alive clients posting transfers:
62/2, 57/7 and 51/13 splits gave 750 to 1,020 transfers/s, the loaded worker's one core (its GIL)
the limit while the other idled; even splits gave 1,150 to 1,380. With a socket per worker the
kernel picks the socket by the connection's address hash.

The supervisor binds and listens on the workers' sockets itself, so the port is taken from
the first moment and connections arriving while a worker restarts wait in its socket's queue.
It restarts a worker that ends, but stops when workers keep ending (a bad setting or a broken
database would fail every restart the same way) or one cannot start; on SIGINT or SIGTERM it
stops the workers, which finish their requests as uvicorn does, and kills those that take
longer than `STOP_TIMEOUT_SECONDS`. A worker whose supervisor is gone stops itself.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("tallybook.serving")

SUPERVISE_INTERVAL_SECONDS = 0.5
STOP_TIMEOUT_SECONDS = 30.0
# More worker endings than this within the window stop the server instead of a restart loop.
ENDINGS_ALLOWED = 5
ENDINGS_WINDOW_SECONDS = 60.0
LISTEN_BACKLOG = 2048  # uvicorn's default

# Objects allocated (net) between two collections of the youngest generation; CPython's 700.
YOUNG_COLLECTION_THRESHOLD = 50_000


class PortInUse(Exception):
    """The address is already served: several workers would otherwise share it silently."""


def _tcp_socket(host: str) -> socket.socket:
    """A TCP socket of the host's family (an address with a colon is IPv6), SO_REUSEADDR set
    so a port left in TIME_WAIT by the last run can be bound again."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) that other sockets with SO_REUSEPORT may bind too."""
    sock = _tcp_socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def require_free_port(host: str, port: int) -> None:
    """Raise PortInUse when anything, another Tallybook included, listens on (host, port).

    SO_REUSEPORT would let this server's workers join a second server on the same port and
    split its traffic; a plain bind fails instead while any socket holds the port."""
    with _tcp_socket(host) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(f"{host}:{port} is in use: {error.strerror}") from error


def tune_collector() -> None:
    """Collect the young generation every 50,000 allocations, not 700, and leave the objects
    of the loaded app (its modules, routes and models) out of every later collection.

    Why: a request's objects (its request, its command, its future, the batch's rows) live
    for the tens of milliseconds the request waits for its batch. With CPython's defaults
    they were still alive at the frequent young collections, were promoted, and then died in
    the oldest generation, which set off a full collection every one or two seconds; each
    took 50 to 120 ms holding the GIL, and every request in the worker waited for it. Under
    W2 (64 clients, one hot account, two workers) p99 went from 136 to 150 ms to 66 to 67 ms,
    under W1 from 160 to 173 ms to 85 to 91 ms, throughput the same.
    """
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    gc.collect()
    gc.freeze()


def serve(config_options: dict[str, Any], sockets: list[socket.socket] | None = None) -> None:
    """One uvicorn server of `uvicorn.Config(**config_options)` in this process, on `sockets`
    (or binding its host and port), its app loaded before the collector is tuned."""
    config = uvicorn.Config(**config_options)
    config.load()
    tune_collector()
    # Ctrl-C reaches every process of the group; uvicorn stops on it (as uvicorn.run does).
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=sockets)


def _stop_when_orphaned() -> None:
    """SIGTERM this worker when its supervisor ends, however it ended (even killed)."""
    supervisor = multiprocessing.parent_process()
    if supervisor is None:
        return

    def watch() -> None:
        supervisor.join()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tallybook-supervisor-watch", daemon=True).start()


def _run_worker(config_options: dict[str, Any], sock: socket.socket) -> None:
    """One worker: one uvicorn server on its own socket of the shared port."""
    _stop_when_orphaned()
    serve(config_options, [sock])


def serve_in_processes(workers: int, config_options: dict[str, Any]) -> int:
    """Run `workers` processes of `uvicorn.Config(**config_options)` until SIGINT or SIGTERM;
    returns the exit status. `config_options` must name the app by its import string."""
    host, port = config_options["host"], config_options["port"]
    require_free_port(host, port)
    sockets = [listening_socket(host, port) for _ in range(workers)]
    for sock in sockets:
        sock.listen(LISTEN_BACKLOG)
    spawn = multiprocessing.get_context("spawn")
    # The handler only records the signal: the loop below acts on it.
    received: list[int] = []
    previous = {
        number: signal.signal(number, lambda number, _frame: received.append(number))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    processes: list[BaseProcess] = []

    def start(index: int) -> BaseProcess:
        process = spawn.Process(target=_run_worker, args=(config_options, sockets[index]))
        process.start()
        return process

    try:
        processes.extend(start(index) for index in range(workers))
        return _supervise(processes, start, received)
    finally:
        _stop(processes)
        for number, handler in previous.items():
            signal.signal(number, handler)
        for sock in sockets:
            sock.close()


def _supervise(
    processes: list[BaseProcess], start: Callable[[int], BaseProcess], received: list[int]
) -> int:
    """Restart workers that end until a signal comes (0) or they keep ending (1, or 3 when
    one could not start)."""
    endings: deque[float] = deque(maxlen=ENDINGS_ALLOWED + 1)
    while not received:
        time.sleep(SUPERVISE_INTERVAL_SECONDS)
        for index, process in enumerate(processes):
            if process.is_alive() or received:
                continue
            if process.exitcode == STARTUP_FAILURE:
                logger.error("a worker could not start; stopping")
                return STARTUP_FAILURE
            endings.append(time.monotonic())
            if len(endings) > ENDINGS_ALLOWED and endings[-1] - endings[0] < ENDINGS_WINDOW_SECONDS:
                logger.error("%d workers ended within %.0f s; stopping",
                             len(endings), ENDINGS_WINDOW_SECONDS)  # fmt: skip
                return 1
            logger.warning("worker %s ended (exit code %s); starting another",
                           process.pid, process.exitcode)  # fmt: skip
            processes[index] = start(index)
    return 0


def _stop(processes: list[BaseProcess]) -> None:
    """SIGTERM every worker, wait for them to finish, kill those that take too long."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            logger.warning("worker %s did not stop in %.0f s; killing it",
                           process.pid, STOP_TIMEOUT_SECONDS)  # fmt: skip
            process.kill()
            process.join()
