"""Business time of a queue: opening hours per weekday and holidays, in the queue's time zone.

Arguments and results are aware UTC datetimes. Local opening times are turned into UTC per
day, so a day on which daylight saving time starts or ends counts its real length.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from escalation.models import Queue

# add_business_seconds gives up after this many days without enough open time, for example
# when every weekday is a holiday.
MAX_SEARCH_DAYS = 800


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    # Weekday (Monday 0) to its opening intervals in local time; empty means always open.
    hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        return cls(ZoneInfo("UTC"))

    @classmethod
    def for_queue(cls, queue: Queue | None) -> BusinessCalendar:
        if queue is None:
            return cls.always_open()
        hours: dict[int, list[tuple[time, time]]] = defaultdict(list)
        for row in queue.business_hours.all():
            hours[row.weekday].append((row.opens_at, row.closes_at))
        holidays = frozenset(queue.holidays.values_list("date", flat=True))
        return cls(ZoneInfo(queue.time_zone), dict(hours), holidays)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Return the UTC intervals in which the queue is open on one local date."""
        if day in self.holidays:
            return []
        if not self.hours:
            start = datetime.combine(day, time.min, tzinfo=self.zone)
            end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.zone)
            return [(start.astimezone(UTC), end.astimezone(UTC))]
        return [
            (
                datetime.combine(day, opens, tzinfo=self.zone).astimezone(UTC),
                datetime.combine(day, closes, tzinfo=self.zone).astimezone(UTC),
            )
            for opens, closes in sorted(self.hours.get(day.weekday(), []))
        ]

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Return the open seconds between two moments; 0 when end is not after start."""
        if end <= start:
            return 0.0
        total = 0.0
        day = self.local_date(start)
        last = self.local_date(end)
        while day <= last:
            for opens, closes in self.open_intervals(day):
                overlap_start = max(opens, start)
                overlap_end = min(closes, end)
                if overlap_end > overlap_start:
                    total += (overlap_end - overlap_start).total_seconds()
            day += timedelta(days=1)
        return total

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime | None:
        """Return the moment `seconds` of open time after `start`, or None if none is found."""
        remaining = seconds
        day = self.local_date(start)
        for _offset in range(MAX_SEARCH_DAYS):
            for opens, closes in self.open_intervals(day):
                begin = max(opens, start)
                if closes <= begin:
                    continue
                available = (closes - begin).total_seconds()
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)
        return None
