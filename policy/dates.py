"""Calendar arithmetic in the body's own time zone (docs/policy.md "Dates").

Six calendar months is counted on the local calendar: 31 August + 6 months
is the last day of February, at the same local wall-clock time. Results are
UTC instants, computed once and stored on the record, never re-derived.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

DEFAULT_TIMEZONE = "Europe/London"


def six_months_after(instant: datetime, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """Return the instant six calendar months after `instant` on the local calendar."""
    local = instant.astimezone(ZoneInfo(timezone))
    # Arithmetic on a zoneinfo-aware datetime is wall-clock arithmetic, so a
    # move across a clock change keeps the local time; relativedelta clips the
    # day to the month's end.
    return (local + relativedelta(months=6)).astimezone(UTC)


def moved_end(end: datetime | None, instance: datetime, timezone: str = DEFAULT_TIMEZONE) -> datetime | None:
    """R5a, R12, R4a: six calendar months after `instance`, if that is later than `end`.
    None when it is not: an end held open by a repeat never moves earlier."""
    new_end = six_months_after(instance, timezone)
    return new_end if end is None or new_end > end else None


def local_date(instant: datetime, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The calendar date of an aware `instant` where the body is (not in UTC)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"need an aware datetime, not {instant!r}")
    return instant.astimezone(ZoneInfo(timezone)).date()


# Spelled out rather than `%B`: strftime follows the process locale, and a
# task summary written in workflow code must read the same on every worker.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def written_date(instant: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The local date of `instant` as people write it: "13 September 2027"."""
    return written_day(local_date(instant, timezone))


def written_day(day: date) -> str:
    """A calendar date as people write it: "13 September 2027"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def written_time(instant: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The local date and time of `instant` as people write it: "13 September 2027 at 17:00 BST"."""
    local = instant.astimezone(ZoneInfo(timezone))
    # %Z and %H:%M do not depend on the process locale, unlike %B.
    return f"{written_date(instant, timezone)} at {local:%H:%M %Z}"
