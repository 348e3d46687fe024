"""The suite's output: one row per measured system, one line per target of the issue's
table (its ratio, the figure to reach, PASS or MISS), printed as one table and saved as JSON.

A target is MISS, not an error: the run still succeeds. Only drift found by `tallybook
verify` (or a crash) makes the run fail.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class Comparison(StrEnum):
    AT_LEAST = ">="
    AT_MOST = "<="


@dataclass(frozen=True)
class Row:
    """One system measured in one workload. `throughput` is in `unit` (transfers/s for
    writes, requests/s for reads); latencies are per request as the client saw them."""

    workload: str
    system: str
    throughput: float | None
    unit: str
    p50_ms: float | None
    p99_ms: float | None
    errors: int | None
    note: str = ""
    # CPU microseconds a unit of `throughput` (a transfer, or a request for req/s rows) over
    # the run: every core's busy time, the measured server's processes, PostgreSQL's; None
    # where the run was not metered or had no server of its own
    machine_cpu_us: float | None = None
    server_cpu_us: float | None = None
    postgresql_cpu_us: float | None = None


@dataclass(frozen=True)
class Target:
    """One figure of the issue's table: `measured` (a ratio, milliseconds or a count)
    compared with `required`. `measured` is None when a side could not be measured."""

    workload: str
    description: str
    measured: float | None
    required: float
    comparison: Comparison
    unit: str  # "x" for ratios, "ms", "errors"
    # why this machine cannot reach it, by the run's own figures (see ceilings.py); None
    # when nothing measured rules it out
    beyond: str | None = None

    @property
    def passed(self) -> bool | None:
        if self.measured is None:
            return None
        if self.comparison is Comparison.AT_LEAST:
            return self.measured >= self.required
        return self.measured <= self.required

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "n/a"}[self.passed]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass
class Report:
    sizes: str
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    verify: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def target(
        self,
        workload: str,
        description: str,
        measured: float | None,
        required: float,
        comparison: Comparison = Comparison.AT_LEAST,
        unit: str = "x",
        beyond: str | None = None,
    ) -> None:
        target = Target(workload, description, measured, required, comparison, unit)
        if target.passed is False:
            target = replace(target, beyond=beyond)
        self.targets.append(target)

    @property
    def ok(self) -> bool:
        return bool(self.verify) and all(self.verify.values())

    def render(self) -> str:
        header = (
            f"{'':<3} {'system':<48} {'throughput':>16} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'errors':>6}  {'ratio':>8} {'target':>9} {'result':>6}"
        )
        lines = [header, "-" * len(header)]
        workloads = sorted({row.workload for row in self.rows} | {t.workload for t in self.targets})
        for workload in workloads:
            for row in (r for r in self.rows if r.workload == workload):
                throughput = (
                    f"{row.throughput:,.0f} {row.unit}" if row.throughput is not None else "-"
                )
                lines.append(
                    f"{row.workload:<3} {row.system[:48]:<48} {throughput:>16} "
                    f"{_number(row.p50_ms):>8} {_number(row.p99_ms):>8} "
                    f"{'-' if row.errors is None else row.errors:>6}"
                )
            for target in (t for t in self.targets if t.workload == workload):
                measured = "-" if target.measured is None else _figure(target.measured, target.unit)
                required = f"{target.comparison.value}{_figure(target.required, target.unit)}"
                lines.append(
                    f"{'':<3} {'  ' + target.description:<48} {'':>16} {'':>8} {'':>8} {'':>6}  "
                    f"{measured:>8} {required:>9} {target.verdict:>6}"
                )
        lines.append("-" * len(header))
        lines.append(self._summary())
        lines.extend(self._cpu_table())
        beyond = [t for t in self.targets if t.beyond]
        if beyond:
            lines.append("")
            lines.append("missed, and beyond this machine by this run's figures:")
            lines.extend(f"{t.workload:<3} {t.description}: {t.beyond}" for t in beyond)
        lines.append("")
        for name, clean in self.verify.items():
            lines.append(f"verify {name}: {'clean' if clean else 'DRIFT'}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def _summary(self) -> str:
        passed = sum(1 for t in self.targets if t.passed)
        missed = [t for t in self.targets if t.passed is False]
        summary = f"targets: {passed} of {len(self.targets)} reached"
        if missed:
            beyond = sum(1 for t in missed if t.beyond)
            summary += (
                f"; of the {len(missed)} missed, {beyond} beyond this machine by this run's "
                f"own figures, {len(missed) - beyond} not shown so"
            )
        return summary

    def _cpu_table(self) -> list[str]:
        """Where the time goes: each metered row's CPU a transfer (a request for req/s rows),
        split into the measured server (for a raw-driver row, the driver loop's own CPU),
        PostgreSQL and the rest (load generator, kernel)."""
        metered = [row for row in self.rows if row.machine_cpu_us is not None]
        if not metered:
            return []
        header = (
            f"{'':<3} {'CPU a transfer (req/s rows: a request), us':<48} {'machine':>9} "
            f"{'server':>9} {'PostgreSQL':>10} {'rest':>9}"
        )
        lines = ["", header, "-" * len(header)]
        for row in metered:
            assert row.machine_cpu_us is not None
            rest = row.machine_cpu_us - (row.server_cpu_us or 0) - (row.postgresql_cpu_us or 0)
            lines.append(
                f"{row.workload:<3} {row.system[:48]:<48} {_micros(row.machine_cpu_us):>9} "
                f"{_micros(row.server_cpu_us):>9} {_micros(row.postgresql_cpu_us):>10} "
                f"{_micros(rest):>9}"
            )
        lines.append(
            "(from /proc's 10 ms clock ticks: a row of few requests, such as DRF's pages at a "
            "few a second, is coarse, and its rest can even come out below zero; a raw-driver "
            "row's server is its loop's own threads while applying batches)"
        )
        return lines

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "sizes": self.sizes,
            "started_at": self.started_at,
            "environment": self.environment,
            "rows": [asdict(row) for row in self.rows],
            "targets": [
                asdict(target) | {"passed": target.passed, "verdict": target.verdict}
                for target in self.targets
            ],
            "verify": self.verify,
            "notes": self.notes,
            "ok": self.ok,
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def _micros(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def _figure(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:,.2f}x" if value < 100 else f"{value:,.0f}x"
    if unit == "ms":
        return f"{value:.2f}ms"
    return f"{value:,.0f}"


def machine() -> dict[str, Any]:
    """What the figures were taken on: cores, memory, CPU model, load at the start."""
    model = "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
