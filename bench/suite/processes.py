"""Starting and stopping the servers the suite measures, each in its own process group so
that stopping one ends its workers too (and nothing the suite did not start)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_STARTED = time.monotonic()


def say(text: str) -> None:
    """Progress on stderr (seconds since the start first), so that stdout carries only the
    table."""
    print(f"[{time.monotonic() - _STARTED:5.0f} s] {text}", file=sys.stderr, flush=True)


def run_logged(
    command: Sequence[str | Path],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Run `command` to completion; its output goes to `log_path` and is returned. Exits the
    suite naming the log when the command fails."""
    completed = subprocess.run(
        [str(part) for part in command],
        env=None if env is None else {**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(str(part) for part in command)}\n{output}\n")
    if completed.returncode != 0:
        sys.exit(
            f"failed ({completed.returncode}): {command[0]} … — see {log_path}\n{output[-2000:]}"
        )
    return completed.stdout


class Service:
    """A server process: started on `__enter__`, ready once `ready_url` answers 2xx, stopped
    (its whole process group) on `__exit__`."""

    def __init__(
        self,
        name: str,
        command: Sequence[str | Path],
        ready_url: str,
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.command = [str(part) for part in command]
        self.ready_url = ready_url
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._fail(f"exited with {self._process.returncode} before it was ready")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as answer:
                    if 200 <= answer.status < 300:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        self._fail(f"not ready after {READY_TIMEOUT_SECONDS:.0f} s")
        raise AssertionError("unreachable")

    @property
    def process_group(self) -> int:
        """The group of the server and every process it starts (its own session)."""
        if self._process is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._process.pid

    def _fail(self, why: str) -> None:
        tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        sys.exit(f"{self.name} {why} — see {self.log_path}\n{tail}")

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
