"""`tallybook serve --workers N`: every worker accepts on a socket of its own, so clients that
connect together are spread over the workers, and a port already served is refused."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from uvicorn.config import STARTUP_FAILURE

from tallybook import serving
from tallybook.cli import AUTOVACUUM_WARNING, app
from tallybook.serving import (
    ENDINGS_WINDOW_SECONDS,
    YOUNG_COLLECTION_THRESHOLD,
    PortInUse,
    listening_socket,
    require_free_port,
    serve_in_processes,
)
from tallybook.storage.database import Database

STARTUP_TIMEOUT_SECONDS = 60
CLIENTS = 32


@pytest.fixture
def served_sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of the test's own (serve refuses one without the schema)."""
    path = tmp_path / "served.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


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


def test_a_served_process_collects_its_young_objects_rarely_and_freezes_the_app(
    tmp_path: Path,
) -> None:
    """`serving.serve` loads the app, tunes the collector, then runs the server (here a
    stand-in that reports the collector's settings at that moment)."""
    tuned = subprocess.run(
        [sys.executable, "-c",
         "import gc, uvicorn\n"
         "from tallybook import serving\n"
         "uvicorn.Server.run = lambda server, sockets=None: print("
         "gc.get_threshold()[0], gc.get_freeze_count() > 0)\n"
         "serving.serve({'app': 'tallybook.api.app:create_app', 'factory': True})\n"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "TALLYBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"},
    ).stdout.split()  # fmt: skip
    assert tuned == [str(YOUNG_COLLECTION_THRESHOLD), "True"]


def test_serve_waits_for_a_database_server_that_does_not_answer_yet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its workers keep trying (and /readyz answers 503) until the server answers."""
    monkeypatch.delenv("TALLYBOOK_DATABASE_URL", raising=False)
    monkeypatch.setattr(serving, "serve", lambda _options: None)

    result = CliRunner().invoke(
        app, ["serve", "--database-url", "postgresql://nobody@127.0.0.1:1/none"]
    )

    assert result.exit_code == 0, result.output
    assert "warning: cannot open the database at postgresql://nobody@127.0.0.1:1/none" in (
        result.stderr
    )
    assert "serving anyway; /readyz answers 503 until the database does" in result.stderr


def test_serve_names_the_port_when_it_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TALLYBOOK_DATABASE_URL", raising=False)  # serve sets it for workers
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


def test_several_workers_need_a_port_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TALLYBOOK_DATABASE_URL", raising=False)
    result = CliRunner().invoke(
        app,
        ["serve", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
         "--port", "0", "--workers", "2"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--port" in result.output and "not 0" in result.output


def test_serve_warns_when_the_postgresql_server_runs_without_autovacuum(
    postgres_migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warning follows the server's own setting (this machine's test server has it
    off); `serving.serve` is replaced so the command returns instead of serving."""
    monkeypatch.delenv("TALLYBOOK_DATABASE_URL", raising=False)
    monkeypatch.setattr(serving, "serve", lambda _options: None)
    database = Database(postgres_migrated)
    try:
        with database.engine.connect() as connection:
            setting = connection.exec_driver_sql("SHOW autovacuum").scalar_one()
    finally:
        database.dispose()

    result = CliRunner().invoke(app, ["serve", "--database-url", postgres_migrated])

    assert result.exit_code == 0, result.output
    assert (AUTOVACUUM_WARNING in result.stderr) == (setting == "off")


def test_serve_on_sqlite_says_nothing_about_autovacuum(
    served_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TALLYBOOK_DATABASE_URL", raising=False)
    monkeypatch.setattr(serving, "serve", lambda _options: None)

    result = CliRunner().invoke(app, ["serve", "--database-url", served_sqlite_url])

    assert result.exit_code == 0, result.output
    assert "autovacuum" not in result.output


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
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
    """The inodes of the process's open sockets on `port` in `state` (none once it ended)."""
    wanted = _socket_inodes(port, state)
    held: set[str] = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return held
    for descriptor in descriptors:
        try:
            target = str(descriptor.readlink())
        except FileNotFoundError:
            continue
        if target.startswith("socket:[") and target[8:-1] in wanted:
            held.add(target[8:-1])
    return held


def _workers(server: subprocess.Popen[bytes], port: int) -> list[int]:
    """The server's worker processes: its children that listen on the port."""
    return [child for child in _children(server.pid) if _sockets_held(child, port, LISTEN)]


def _running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _wait_until(condition: Callable[[], bool], timeout_seconds: float) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def two_workers(postgres_migrated: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`tallybook serve --workers 2` on the PostgreSQL test database, answering; stopped
    (its whole process group) at the end, whatever the test did to it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tallybook.cli", "serve", "--database-url", postgres_migrated,
         "--port", str(port), "--workers", "2", "--no-access-log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert _wait_until(lambda: len(_workers(server, port)) == 2, STARTUP_TIMEOUT_SECONDS)
        for _ in range(4):  # new connections land on either worker: both have started
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=STARTUP_TIMEOUT_SECONDS)
            client.request("GET", "/healthz")
            assert client.getresponse().status == 200
            client.close()
        yield server, port
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=STARTUP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # anything left of the group


def test_each_worker_listens_on_a_socket_of_its_own(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = two_workers
    first, second = (_sockets_held(w, port, LISTEN) for w in _workers(server, port))
    assert len(first) == len(second) == 1
    assert first != second


def test_clients_connecting_while_a_worker_is_busy_still_reach_both_workers(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    """A pool of clients connects at once while one worker is busy (here: paused). A shared
    socket would hand every connection to the worker that is free at that moment; with a
    socket per worker, the busy one keeps its share and serves it when it is free."""
    server, port = two_workers
    free, busy = _workers(server, port)
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
    server, port = two_workers
    workers = _workers(server, port)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=STARTUP_TIMEOUT_SECONDS) == 0
    assert _wait_until(lambda: not any(_running(w) for w in workers), 10)


def test_workers_stop_themselves_when_the_server_is_killed(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = two_workers
    workers = _workers(server, port)
    server.kill()
    server.wait()
    assert _wait_until(lambda: not any(_running(w) for w in workers), STARTUP_TIMEOUT_SECONDS)


def test_workers_that_keep_ending_stop_the_server_instead_of_restarting_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ending_app.py").write_text("import os\nos._exit(7)\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers inherit sys.path
    started = time.monotonic()

    status = serve_in_processes(
        2, {"app": "ending_app:app", "host": "127.0.0.1", "port": free_port()}
    )

    assert status == 1
    assert time.monotonic() - started < ENDINGS_WINDOW_SECONDS


def test_a_worker_that_cannot_start_stops_the_server_at_once() -> None:
    status = serve_in_processes(
        2, {"app": "tallybook.no_such_module:app", "host": "127.0.0.1", "port": free_port()}
    )
    assert status == STARTUP_FAILURE


@pytest.mark.parametrize("access_log", [True, False], ids=["access-log", "no-access-log"])
def test_a_served_request_is_logged_while_serving_unless_the_log_is_off(
    served_sqlite_url: str, tmp_path: Path, access_log: bool
) -> None:
    """The line comes within the writer's flush interval (polled for up to five seconds here),
    not only when the server stops; `--no-access-log` writes none at all."""
    port = free_port()
    output = tmp_path / "served.out"
    flag = "--access-log" if access_log else "--no-access-log"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "tallybook.cli", "serve", "--database-url",
             served_sqlite_url, "--port", str(port), flag],
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        assert _wait_until(lambda: _status_of_health(port) == 200, STARTUP_TIMEOUT_SECONDS)
        logged = _wait_until(lambda: bool(APP_HEALTH_LINE.search(output.read_text())), 5)
    finally:
        server.terminate()
        server.wait(timeout=STARTUP_TIMEOUT_SECONDS)

    assert logged == access_log
    assert bool(APP_HEALTH_LINE.search(output.read_text())) == access_log
    assert '- "GET /healthz' not in output.read_text()  # uvicorn's own line: never written


# The app's line (tallybook.api.access_log), not uvicorn's `127.0.0.1:p - "GET ..." 200 OK`.
APP_HEALTH_LINE = re.compile(
    r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S+ "GET /healthz HTTP/1.1" 200 \d+\.\dms$', re.MULTILINE
)


def _status_of_health(port: int) -> int | None:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        client.request("GET", "/healthz")
        return client.getresponse().status
    except OSError:
        return None
    finally:
        client.close()
