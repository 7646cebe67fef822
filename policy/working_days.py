"""Working days: weekends and the given bank holidays excluded.

Pure arithmetic; the holiday calendar is passed in (the `plan_task` activity
reads it from the `holidays` library), so the result of a given calendar is
fixed and a due date, once computed, is stored and never re-derived.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from policy.dates import local_date

SATURDAY = 5


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday, and not one of `holidays`."""
    return day.weekday() < SATURDAY and day not in holidays


def add_working_days(start: date, n: int, holidays: Collection[date]) -> date:
    """The n-th working day after `start`.

    Args:
        start: The day to count from; it never counts itself when n > 0.
        n: How many working days (n >= 0). With n = 0, `start` if it is a
            working day, else the next working day.
        holidays: Days that are not working days, besides weekends.

    Returns:
        The working day reached.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    day = start
    if n == 0:
        while not is_working_day(day, holidays):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return day


def due_instant(
    created_at: datetime, working_days: int, holidays: Collection[date], timezone: str, hour: int = 17
) -> datetime:
    """`hour`:00 local time on the working day `working_days` after the local date of `created_at`.

    Args:
        created_at: An aware instant; its date is taken in `timezone`.
        working_days: As `add_working_days`'s n.
        holidays: Days that are not working days, besides weekends.
        timezone: An IANA time zone name, e.g. "Europe/London".
        hour: The local hour the day ends at (0-23).

    Returns:
        The instant, aware, in UTC (the local offset of that day, summer time included).
    """
    zone = ZoneInfo(timezone)
    day = add_working_days(local_date(created_at, timezone), working_days, holidays)
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class HolidayCalendar:
    """The bank holidays of the years `first_year` to `last_year`, as data.

    Workflow code cannot read the `holidays` library (its data changes between
    releases, and a replay must decide as the first run did), so the calendar
    reaches the rules as this value, read where IO is allowed.
    """

    first_year: int
    last_year: int
    days: frozenset[date]

    def add_working_days(self, start: date, n: int) -> date:
        """As `add_working_days`, refusing to count past the years the calendar covers.

        Raises:
            ValueError: If `start` or the day reached is outside the calendar's years.
        """
        day = add_working_days(start, n, self.days)
        if start.year < self.first_year or day.year > self.last_year:
            raise ValueError(
                f"the holiday calendar covers {self.first_year}-{self.last_year}, "
                f"not {start.isoformat()} + {n} working days"
            )
        return day
