"""`tallybook serve --workers N`: every worker accepts on a socket of its own, so clients that
connect together are spread over the workers, and a port already served is refused."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tallybook.cli import app
from tallybook.serving import (
    YOUNG_COLLECTION_THRESHOLD,
    PortInUse,
    listening_socket,
    require_free_port,
)

STARTUP_TIMEOUT_SECONDS = 60
CLIENTS = 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_workers_bind_the_same_port_each_with_a_socket_of_its_own() -> None:
    port = free_port()
    first, second = listening_socket("127.0.0.1", port), listening_socket("127.0.0.1", port)
    with first, second:
        first.listen()
        second.listen()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)


def test_a_port_another_server_listens_on_is_refused() -> None:
    port = free_port()
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", port))
        other_server.listen()
        with pytest.raises(PortInUse, match=f"127.0.0.1:{port} is in use"):
            require_free_port("127.0.0.1", port)


def test_another_tallybook_on_the_port_is_refused_though_it_allows_sharing() -> None:
    port = free_port()
    with listening_socket("127.0.0.1", port) as other_tallybook_worker:
        other_tallybook_worker.listen()
        with pytest.raises(PortInUse):
            require_free_port("127.0.0.1", port)


def test_a_served_process_collects_its_young_objects_rarely_and_freezes_the_app() -> None:
    tuned = subprocess.run(
        [sys.executable, "-c", "import gc; from tallybook.serving import tune_collector; "
         "tune_collector(); print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert tuned == [str(YOUNG_COLLECTION_THRESHOLD), "True"]


def test_serve_names_the_port_when_it_is_taken() -> None:
    port = free_port()
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", port))
        other_server.listen()
        result = CliRunner().invoke(
            app,
            ["serve", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
             "--port", str(port), "--workers", "2"],
        )  # fmt: skip
    assert result.exit_code == 2
    assert "--port" in result.output and "is in use" in result.output


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


ESTABLISHED, LISTEN = "01", "0A"  # TCP states as /proc/net/tcp writes them


def _socket_inodes(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets in `state` whose local port is `port`."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _sockets_held(pid: int, port: int, state: str) -> set[str]:
    """The inodes of the process's open sockets on `port` in `state`."""
    wanted = _socket_inodes(port, state)
    held = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(descriptor.readlink())
        except FileNotFoundError:
            continue
        if target.startswith("socket:[") and target[8:-1] in wanted:
            held.add(target[8:-1])
    return held


@pytest.fixture
def two_workers(postgres_migrated: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`tallybook serve --workers 2` on the PostgreSQL test database, ready."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tallybook.cli", "serve", "--database-url", postgres_migrated,
         "--port", str(port), "--workers", "2", "--no-access-log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while sum(bool(_sockets_held(c, port, LISTEN)) for c in _children(server.pid)) < 2:
            assert server.poll() is None, "serve ended before its workers listened"
            assert time.monotonic() < deadline, "the workers did not start listening"
            time.sleep(0.2)
        yield server, port
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_each_worker_listens_on_a_socket_of_its_own(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = two_workers
    listening = [_sockets_held(w, port, LISTEN) for w in _children(server.pid)]
    first, second = (inodes for inodes in listening if inodes)
    assert len(first) == len(second) == 1
    assert first != second


def test_clients_connecting_while_a_worker_is_busy_still_reach_both_workers(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    """A pool of clients connects at once while one worker is busy (here: paused). A shared
    socket would hand every connection to the worker that is free at that moment; with a
    socket per worker, the busy one keeps its share and serves it when it is free."""
    server, port = two_workers
    free, busy = [w for w in _children(server.pid) if _sockets_held(w, port, LISTEN)]
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(CLIENTS)]
    try:
        os.kill(busy, signal.SIGSTOP)
        try:
            for client in clients:
                client.connect()
            time.sleep(0.5)  # the free worker accepts all it can
        finally:
            os.kill(busy, signal.SIGCONT)
        for client in clients:
            client.request("GET", "/healthz")
            answer = client.getresponse()
            answer.read()
            assert answer.status == 200
        held = {w: len(_sockets_held(w, port, ESTABLISHED)) for w in (free, busy)}
        assert all(held.values()), held
        assert sum(held.values()) == CLIENTS
    finally:
        for client in clients:
            client.close()


def test_sigterm_stops_the_workers_and_the_server(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, _port = two_workers
    workers = _children(server.pid)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
    for worker in workers:
        assert not Path(f"/proc/{worker}").exists() or _is_zombie(worker)


def _is_zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
