"""Days and months of a tenant's calendar, as UTC instants.

Reports group the history by the tenant's local day or month (a platform in Shanghai closes
its day at 16:00 UTC). Each period is the half-open range [start, end) in UTC between two
local midnights, so daylight-saving days are 23 or 25 hours long and nothing falls between
two periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from tallybook.ledger import errors

MAX_PERIODS = {"day": 366, "month": 120}


class Granularity(StrEnum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    """A local day ("2026-01-31") or month ("2026-01"): [start, end) in UTC."""

    label: str
    start: datetime
    end: datetime


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def periods(
    first_day: date, last_day: date, granularity: Granularity, time_zone: str
) -> list[Period]:
    """The days (or the months) from the one holding `first_day` to the one holding
    `last_day`, both included. Raises ValidationError when the range is reversed or longer
    than MAX_PERIODS of its granularity (366 days, 120 months)."""
    if last_day < first_day:
        raise errors.ValidationError("the range ends before it starts", field="to")
    zone = ZoneInfo(time_zone)
    starts: list[date] = []
    if granularity is Granularity.DAY:
        count = (last_day - first_day).days + 1
        limit = MAX_PERIODS[granularity.value]
        if count > limit:
            raise errors.ValidationError(f"at most {limit} days at once", field="to")
        starts = [date.fromordinal(first_day.toordinal() + n) for n in range(count + 1)]
    else:
        day = first_day.replace(day=1)
        limit = MAX_PERIODS[granularity.value]
        while day <= last_day:
            starts.append(day)
            if len(starts) > limit:
                raise errors.ValidationError(f"at most {limit} months at once", field="to")
            day = _next_month(day)
        starts.append(day)
    label_format = "%Y-%m-%d" if granularity is Granularity.DAY else "%Y-%m"
    return [
        Period(
            start.strftime(label_format), _local_midnight(start, zone), _local_midnight(end, zone)
        )
        for start, end in pairwise(starts)
    ]
