"""Whether a target asks for more than this machine can give, by the run's own figures: the
issue asks that a target beyond the hardware be shown so "with figures (a profile of where the
time goes)", not lowered. Two kinds of ceiling, each measured in the same run:

- CPU: at the rate a target asks for, each transfer may use the machine's cores divided by
  that rate. Parts that any Python service serving the workload must pay (the bare
  endpoint's HTTP and load generation; the least work PostgreSQL did on the workload's rows,
  under Tallybook or under the raw driver's batches; the raw driver loop's own Python,
  computing the rows and handing them to the driver) are summed; when they alone are more,
  nothing Tallybook adds could reach the target on this machine with these rows.
- Throughput: the rate is more than an empty endpoint served the same way answers at all.

Each returns the explanation for the report, or None when the ceiling does not rule the target
out (a miss is then Tallybook's to fix).
"""

from __future__ import annotations

from collections.abc import Sequence

MICROSECONDS = 1_000_000


def cpu_ceiling(
    needed_per_second: float | None, cores: int, parts: Sequence[tuple[str, float | None]]
) -> str | None:
    """`parts`: (what, CPU microseconds a transfer) that the workload cannot do without."""
    costs = [(what, cost) for what, cost in parts if cost is not None]
    if not needed_per_second or len(costs) < len(parts):  # a part was not measured
        return None
    budget_us = cores * MICROSECONDS / needed_per_second
    floor_us = sum(cost for _, cost in costs)
    if floor_us <= budget_us:
        return None
    spelled = " + ".join(f"{what} {cost:,.0f} us" for what, cost in costs)
    return (
        f"needs {needed_per_second:,.0f} transfers/s, {budget_us:,.0f} us of the {cores} cores "
        f"a transfer; {spelled} = {floor_us:,.0f} us before anything Tallybook adds"
    )


def throughput_ceiling(
    needed_per_second: float | None, ceiling_per_second: float | None, ceiling: str
) -> str | None:
    """`ceiling`: what answers `ceiling_per_second` requests at most, as the report names it."""
    if not needed_per_second or ceiling_per_second is None:
        return None
    if needed_per_second <= ceiling_per_second:
        return None
    return (
        f"needs {needed_per_second:,.0f} transfers/s, more than {ceiling} answers "
        f"({ceiling_per_second:,.0f} req/s)"
    )
