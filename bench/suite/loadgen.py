"""The HTTP load generator: `wrk` (Debian's package, C with LuaJIT) driven by Lua scripts this
module writes for each workload. wrk reports its own latency percentiles and error counts;
the Lua `done` hook prints them as one JSON line that `run_wrk` reads back.

Only 127.0.0.1 is ever a target; every run is bounded by its duration.
"""

from __future__ import annotations

import http.client
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from suite.cpu import CpuSeconds
from suite.processes import say

WRK_THREADS = 2
REQUEST_TIMEOUT_SECONDS = 10

_DONE = r"""
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua_string(text: str) -> str:
    """`text` as a Lua long-bracket literal (no escaping needed inside)."""
    level = "=" * 4
    if f"]{level}]" in text:
        raise ValueError("text would end the Lua literal")
    return f"[{level}[{text}]{level}]"


def _lua_headers(headers: dict[str, str]) -> str:
    return ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())


@dataclass(frozen=True)
class LoadResult:
    """What wrk saw: completed requests, the latency percentiles of all requests, and every
    kind of error (a non-2xx/3xx status, a timeout, a broken connection) summed; with the
    CPU time the run used when it was metered (`cpu.CpuMeter`)."""

    requests: int
    duration_seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu: CpuSeconds | None = None

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_seconds if self.duration_seconds else 0.0


def latency_result(latencies_ms: list[float], elapsed_seconds: float, errors: int) -> LoadResult:
    """A result from per-request latencies (milliseconds) gathered by the suite itself."""
    ordered = sorted(latencies_ms)
    if not ordered:
        return LoadResult(0, elapsed_seconds, float("nan"), float("nan"), errors)
    return LoadResult(
        requests=len(ordered),
        duration_seconds=elapsed_seconds,
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        errors=errors,
    )


def post_loop(
    base_url: str,
    path: str,
    *,
    headers: dict[str, str],
    body: bytes,
    clients: int,
    duration_seconds: float,
    idempotency_prefix: str,
) -> LoadResult:
    """Closed-loop POSTs of one large body (a 1,000-transfer batch) from `clients` threads,
    each on one keep-alive connection, until `duration_seconds` have passed; a request in
    flight then is waited for and counted, and the elapsed time runs until the last answer.

    Used instead of wrk for batches: a batch can take longer than a quick run lasts, and wrk
    drops what has not been answered when its time is up, which would read as zero."""
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the suite loads only local servers, not {base_url}")
    address = urlsplit(base_url)
    latencies_ms: list[float] = []
    errors = 0
    lock = threading.Lock()
    run_id = secrets.token_hex(6)
    deadline = time.perf_counter() + duration_seconds

    failures: list[BaseException] = []

    def client(number: int) -> None:
        try:
            post(number)
        except BaseException as failure:
            failures.append(failure)

    def post(number: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", address.port, timeout=300)
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            key = f"{idempotency_prefix}-{run_id}-{number}-{count}"
            started = time.perf_counter()
            connection.request("POST", path, body, headers | {"Idempotency-Key": key})
            answer = connection.getresponse()
            answer.read()
            with lock:
                latencies_ms.append((time.perf_counter() - started) * 1000)
                if not 200 <= answer.status < 300:
                    errors += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return latency_result(latencies_ms, time.perf_counter() - started, errors)


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when it is missing (the suite runs as root
    on the project's machines)."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: apt-get install -y wrk")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        subprocess.run(command, check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed (Debian package `wrk`) and could not be installed")
    return found


def transfer_script(
    directory: Path,
    name: str,
    *,
    path: str,
    headers: dict[str, str],
    body_template: str,
    accounts_file: Path,
    hot_account: str | None,
    idempotency: bool,
) -> Path:
    """One transfer per request between accounts picked uniformly from `accounts_file` (one id
    a line), or always debiting `hot_account`. `body_template` has two %s: debit, credit."""
    hot = _lua_string(hot_account) if hot_account else "nil"
    key_line = (
        f'headers["Idempotency-Key"] = string.format("{name}-%s-%d-%d", run_id, '
        "thread_number, counter)"
        if idempotency
        else ""
    )
    script = f"""
local accounts = {{}}
local counter = 0
local run_id = nil
local hot = {hot}
local template = {_lua_string(body_template)}
function init(args)
  run_id = args[1]
  for line in io.lines({_lua_string(str(accounts_file))}) do
    accounts[#accounts + 1] = line
  end
  math.randomseed(os.time() * 100 + thread_number)
end
function request()
  counter = counter + 1
  local debit = hot or accounts[math.random(#accounts)]
  local credit = accounts[math.random(#accounts)]
  while credit == debit do credit = accounts[math.random(#accounts)] end
  local headers = {{{_lua_headers(headers)}}}
  {key_line}
  return wrk.format("POST", {_lua_string(path)}, headers, string.format(template, debit, credit))
end
{_DONE}
"""
    target = directory / f"{name}.lua"
    target.write_text(script, encoding="utf-8")
    return target


def get_script(directory: Path, name: str, *, path: str, headers: dict[str, str]) -> Path:
    """The same GET every request."""
    script = f"""
function request()
  return wrk.format("GET", {_lua_string(path)}, {{{_lua_headers(headers)}}})
end
{_DONE}
"""
    target = directory / f"{name}.lua"
    target.write_text(script, encoding="utf-8")
    return target


def run_wrk(
    base_url: str,
    script: Path,
    *,
    connections: int,
    duration_seconds: int,
    log_path: Path,
) -> LoadResult:
    """Run wrk against `base_url` (127.0.0.1 only) and read back its figures."""
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the suite loads only local servers, not {base_url}")
    threads = min(WRK_THREADS, connections)
    command = [
        ensure_wrk(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration_seconds}s",
        f"--timeout={REQUEST_TIMEOUT_SECONDS}s",
        f"--script={script}",
        base_url,
        "--",
        secrets.token_hex(6),  # the run's id: idempotency keys never repeat across runs
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n{completed.stdout}{completed.stderr}\n")
    figures = None
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            figures = json.loads(line.removeprefix("BENCH_JSON "))
    if completed.returncode != 0 or figures is None:
        sys.exit(f"wrk failed on {script.name} — see {log_path}\n{completed.stderr[-2000:]}")
    errors = sum(int(figures[k]) for k in figures if k.startswith("errors_"))
    return LoadResult(
        requests=int(figures["requests"]),
        duration_seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
    )
