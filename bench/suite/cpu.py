"""The CPU time a measured run used, read from /proc before and after it: the whole machine's
busy time, PostgreSQL's processes' and the measured server's. Divided by what the run did,
it says where a transfer's time goes, and lets the report show, with the run's own figures,
which targets ask for more CPU a transfer than the machine has (the issue: "If a target turns
out to be beyond what the hardware can do, show it with figures").

Processes that end during the run are not lost: a process's children's time is added to it
when it reaps them (`cutime`, `cstime`), so PostgreSQL's postmaster carries its ended
backends (pgbench's connections) and a server's supervisor its ended workers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Self

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
POSTGRESQL_COMMAND = "postgres"


@dataclass(frozen=True)
class CpuSeconds:
    """CPU seconds used over one run. `machine` is every core's busy time (all but idle, I/O
    wait and steal), so it includes the load generator and the kernel's network work; `server` is
    the measured server's process group (for the raw-driver loops, which have none, their
    own threads' CPU while applying batches: `raw_drivers.run_batches`), None when the run
    had no server of its own."""

    machine: float
    postgresql: float
    server: float | None


@dataclass(frozen=True)
class _Ticks:
    machine: int
    postgresql: int
    server: int | None


def _machine_busy_ticks() -> int:
    """The cores' time at work for this machine: user, nice, system, irq and softirq (guest
    time is inside user). Not idle or I/O wait, and not steal: time the hypervisor ran
    another machine on our virtual cores is no work of ours, and counted as busy it would
    raise every part of a CPU floor (`ceilings`) on a crowded host."""
    # cpu user nice system idle iowait irq softirq steal
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(values) - values[3] - values[4] - values[7]


def _ticks(server_group: int | None) -> _Ticks:
    """The machine's busy ticks, and PostgreSQL's and the server group's, each process's own
    and its reaped children's."""
    postgresql = 0
    server = 0 if server_group is not None else None
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:  # ended since the listing
            continue
        command = text[text.index("(") + 1 : text.rindex(")")]
        # after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
        # cmajflt utime stime cutime cstime ...
        fields = text[text.rindex(")") + 2 :].split()
        ticks = sum(int(value) for value in fields[11:15])
        if command == POSTGRESQL_COMMAND:
            postgresql += ticks
        if server is not None and int(fields[2]) == server_group:
            server += ticks
    return _Ticks(_machine_busy_ticks(), postgresql, server)


class CpuMeter:
    """`with CpuMeter() as meter: ...` then `meter.used`: the CPU time used inside the block
    (`server_group`: the process group of the server the block loads, if any)."""

    def __init__(self, server_group: int | None = None) -> None:
        self.server_group = server_group
        self._before: _Ticks | None = None
        self.used: CpuSeconds | None = None

    def __enter__(self) -> Self:
        self._before = _ticks(self.server_group)
        return self

    def __exit__(self, *exception: object) -> None:
        before, after = self._before, _ticks(self.server_group)
        assert before is not None

        def seconds(earlier: int, later: int) -> float:
            return (later - earlier) / TICKS_PER_SECOND

        self.used = CpuSeconds(
            machine=seconds(before.machine, after.machine),
            postgresql=seconds(before.postgresql, after.postgresql),
            server=(
                None
                if before.server is None or after.server is None
                else seconds(before.server, after.server)
            ),
        )
