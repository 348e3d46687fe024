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

The supervisor restarts a worker that dies, stops everything when one cannot start (a bad
setting or an unbindable port would fail every restart the same way), and on SIGINT or
SIGTERM stops the workers, which finish their requests as uvicorn does.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("tallybook.serving")

SUPERVISE_INTERVAL_SECONDS = 0.5

# Objects allocated (net) between two collections of the youngest generation; CPython's 700.
YOUNG_COLLECTION_THRESHOLD = 50_000


class PortInUse(Exception):
    """The address is already served: several workers would otherwise share it silently."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) that other sockets with SO_REUSEPORT may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def require_free_port(host: str, port: int) -> None:
    """Raise PortInUse when anything, another Tallybook included, listens on (host, port).

    SO_REUSEPORT would let this server's workers join a second server on the same port and
    split its traffic; a plain bind fails instead while any socket holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUse(f"{host}:{port} is in use: {error.strerror}") from error


def tune_collector() -> None:
    """Collect the young generation every 50,000 allocations, not 700, and leave the objects
    of the loaded app out of every later collection (`gc.freeze`).

    Why: a request's objects (its request, its command, its future, the batch's rows) live
    for the tens of milliseconds the request waits for its batch. With CPython's defaults
    they were still alive at the frequent young collections, were promoted, and then died in
    the oldest generation, which set off a full collection every one or two seconds; each
    took 50 to 120 ms holding the GIL, and every request in the worker waited for it. Under
    W2 (64 clients, one hot account, two workers) p99 went from 136 to 150 ms to 66 to 67 ms,
    under W1 from 160 to 173 ms to 85 to 91 ms, throughput the same. Call it after the app is
    loaded, so what it built is frozen.
    """
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    gc.freeze()


def serve(config_options: dict[str, Any], sockets: list[socket.socket] | None = None) -> None:
    """One uvicorn server of `uvicorn.Config(**config_options)` in this process, on `sockets`
    (or binding its host and port), its app loaded before the collector is tuned."""
    config = uvicorn.Config(**config_options)
    config.load()
    tune_collector()
    uvicorn.Server(config).run(sockets=sockets)


def _run_worker(config_options: dict[str, Any]) -> None:
    """One worker: its own socket on the shared port, one uvicorn server on it."""
    host, port = config_options["host"], config_options["port"]
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        logger.error("cannot listen on %s:%d: %s", host, port, error)
        sys.exit(STARTUP_FAILURE)
    serve(config_options, [sock])


def serve_in_processes(workers: int, config_options: dict[str, Any]) -> int:
    """Run `workers` processes of `uvicorn.Config(**config_options)` until SIGINT or SIGTERM;
    returns the exit status. `config_options` must name the app by its import string."""
    host, port = config_options["host"], config_options["port"]
    require_free_port(host, port)
    spawn = multiprocessing.get_context("spawn")
    # The handler only records the signal: setting a threading.Event from it could deadlock
    # on the Event's lock, held by the very wait the signal interrupted.
    received: list[int] = []
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda number, _frame: received.append(number))

    def start() -> BaseProcess:
        process = spawn.Process(target=_run_worker, args=(config_options,), daemon=False)
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    status = 0
    while not received and not status:
        time.sleep(SUPERVISE_INTERVAL_SECONDS)
        for index, process in enumerate(processes):
            if process.is_alive() or received:
                continue
            if process.exitcode == STARTUP_FAILURE:
                logger.error("a worker could not start; stopping")
                status = STARTUP_FAILURE
                break
            logger.warning("worker %s ended (exit code %s); starting another",
                           process.pid, process.exitcode)  # fmt: skip
            processes[index] = start()
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join()
    return status
