"""The HTTP servers measured under load, and one measurement of a server with wrk: a short
warm-up (not counted) followed by the measured run."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from suite.config import BASELINES_DIRECTORY, TALLYBOOK_BIN, Sizes
from suite.cpu import CpuMeter
from suite.loadgen import LoadResult, run_wrk
from suite.processes import Service, free_port


def tallybook_server(
    database_url: str, workers: int, log_path: Path, *, source: Path | None = None
) -> tuple[Service, str]:
    """`tallybook serve` on a free port, as an operator runs it; with `source` (another
    version's `src` directory, see compare_writes.py) the served processes import that
    version's package instead of this tree's."""
    port = free_port()
    command: list[str | Path] = [
        TALLYBOOK_BIN / "tallybook",
        "serve",
        "--database-url",
        database_url,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    base_url = f"http://127.0.0.1:{port}"
    environment = {"PYTHONPATH": str(source)} if source is not None else None
    service = Service("tallybook", command, f"{base_url}/readyz", log_path, env=environment)
    return service, base_url


def ceiling_server(workers: int, log_path: Path) -> tuple[Service, str]:
    """The bare FastAPI endpoint, served by uvicorn as `tallybook serve` serves Tallybook: the
    same workers, uvicorn's defaults but for the same HTTP protocol (one write a response)."""
    port = free_port()
    command: list[str | Path] = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        BASELINES_DIRECTORY,
        "fastapi_ceiling:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--http",
        "tallybook.joined_writes:JoinedWritesProtocol",
    ]
    base_url = f"http://127.0.0.1:{port}"
    return Service("fastapi-ceiling", command, f"{base_url}/healthz", log_path), base_url


def measure(
    base_url: str,
    script: Path,
    *,
    connections: int,
    sizes: Sizes,
    log_path: Path,
    read: bool = False,
    server: Service | None = None,
) -> LoadResult:
    """Warm up, then measure. Reads (single client) run `read_seconds`, loads `load_seconds`.
    The measured run's CPU time is metered, the `server`'s own share too when it is given."""
    run_wrk(
        base_url,
        script,
        connections=connections,
        duration_seconds=sizes.warmup_seconds,
        log_path=log_path,
    )
    with CpuMeter(None if server is None else server.process_group) as meter:
        result = run_wrk(
            base_url,
            script,
            connections=connections,
            duration_seconds=sizes.read_seconds if read else sizes.load_seconds,
            log_path=log_path,
        )
    return replace(result, cpu=meter.used)
