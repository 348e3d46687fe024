"""The suite's output: one row per measured system, one line per target of the issue's
table (its ratio, the figure to reach, PASS or MISS), printed as one table and saved as JSON.

A target is MISS, not an error: the run still succeeds. Only drift found by `tallybook
verify` (or a crash) makes the run fail.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
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
    ) -> None:
        self.targets.append(Target(workload, description, measured, required, comparison, unit))

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
        passed = sum(1 for t in self.targets if t.passed)
        lines.append("-" * len(header))
        lines.append(f"targets: {passed} of {len(self.targets)} reached")
        for name, clean in self.verify.items():
            lines.append(f"verify {name}: {'clean' if clean else 'DRIFT'}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

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
