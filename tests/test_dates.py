"""Dates (docs/policy.md "Dates"): six calendar months on the body's own calendar."""

import calendar
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.dates import DEFAULT_TIMEZONE, local_date, six_months_after, written_date, written_day, written_time

LONDON = ZoneInfo("Europe/London")
BST = timezone(timedelta(hours=1))


def test_dates_default_timezone_is_london():
    """Dates: the body's own time zone is Europe/London unless configured."""
    assert DEFAULT_TIMEZONE == "Europe/London"


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # 31 August + 6 months is the last day of February ...
        (datetime(2026, 8, 31, 10, 0, tzinfo=BST), datetime(2027, 2, 28, 10, 0, tzinfo=UTC)),
        # ... which is the 29th in a leap year.
        (datetime(2027, 8, 31, 10, 0, tzinfo=BST), datetime(2028, 2, 29, 10, 0, tzinfo=UTC)),
        (datetime(2027, 8, 29, 10, 0, tzinfo=BST), datetime(2028, 2, 29, 10, 0, tzinfo=UTC)),
        (datetime(2026, 8, 29, 10, 0, tzinfo=BST), datetime(2027, 2, 28, 10, 0, tzinfo=UTC)),
        (datetime(2026, 8, 30, 10, 0, tzinfo=BST), datetime(2027, 2, 28, 10, 0, tzinfo=UTC)),
        # 31st into a 30-day month; 30th stays the 30th.
        (datetime(2026, 3, 31, 10, 0, tzinfo=BST), datetime(2026, 9, 30, 9, 0, tzinfo=UTC)),
        (datetime(2026, 5, 31, 12, 0, tzinfo=BST), datetime(2026, 11, 30, 12, 0, tzinfo=UTC)),
        (datetime(2026, 12, 31, 9, 0, tzinfo=UTC), datetime(2027, 6, 30, 8, 0, tzinfo=UTC)),
        (datetime(2026, 4, 30, 9, 0, tzinfo=BST), datetime(2026, 10, 30, 9, 0, tzinfo=UTC)),
        (datetime(2026, 6, 30, 9, 0, tzinfo=BST), datetime(2026, 12, 30, 9, 0, tzinfo=UTC)),
        # Across the year end and into the summer.
        (datetime(2026, 1, 15, 14, 0, tzinfo=UTC), datetime(2026, 7, 15, 13, 0, tzinfo=UTC)),
        (datetime(2026, 2, 28, 12, 0, tzinfo=UTC), datetime(2026, 8, 28, 11, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 9, 0, tzinfo=BST), datetime(2027, 1, 1, 9, 0, tzinfo=UTC)),
        # Both ends in summer time: no shift.
        (datetime(2026, 4, 15, 9, 0, tzinfo=BST), datetime(2026, 10, 15, 8, 0, tzinfo=UTC)),
        # Both ends in winter time: no shift.
        (datetime(2026, 11, 2, 16, 0, tzinfo=UTC), datetime(2027, 5, 2, 15, 0, tzinfo=UTC)),
        (datetime(2026, 10, 30, 9, 0, tzinfo=UTC), datetime(2027, 4, 30, 8, 0, tzinfo=UTC)),
        # Midnight exactly, local.
        (datetime(2027, 8, 31, 0, 0, tzinfo=BST), datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), datetime(2026, 7, 1, 0, 0, tzinfo=BST)),
    ],
)
def test_dates_six_months_after_known_dates(instant, expected):
    """Dates: a table of known answers, six calendar months at the same local wall-clock time."""
    assert six_months_after(instant) == expected


def test_dates_31_august_gives_28_february_in_ordinary_year():
    """Dates: 31 August + 6 months = 28 February (docs/policy.md example)."""
    result = six_months_after(datetime(2026, 8, 31, 14, 15, tzinfo=BST))
    assert result == datetime(2027, 2, 28, 14, 15, tzinfo=UTC)
    assert local_date(result) == date(2027, 2, 28)


def test_dates_31_august_gives_29_february_in_leap_year():
    """Dates: 31 August 2027 + 6 months = 29 February 2028."""
    result = six_months_after(datetime(2027, 8, 31, 14, 15, tzinfo=BST))
    assert result == datetime(2028, 2, 29, 14, 15, tzinfo=UTC)
    assert local_date(result) == date(2028, 2, 29)


def test_dates_result_is_utc():
    """Dates: results are UTC instants, whatever offset the input carried."""
    result = six_months_after(datetime(2026, 8, 31, 4, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    # 04:00 +05:30 is 23:30 BST on 30 August.
    assert result == datetime(2027, 2, 28, 23, 30, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)
    assert result.tzinfo is UTC


def test_dates_summer_to_winter_keeps_local_wall_clock():
    """Dates: across the October change (BST -> GMT) 09:00 local stays 09:00 local."""
    start = datetime(2026, 5, 12, 8, 0, tzinfo=UTC)  # 09:00 BST
    result = six_months_after(start)
    assert result == datetime(2026, 11, 12, 9, 0, tzinfo=UTC)  # 09:00 GMT
    assert result.astimezone(LONDON).hour == 9
    assert result - start == timedelta(days=184, hours=1)


def test_dates_winter_to_summer_keeps_local_wall_clock():
    """Dates: across the March change (GMT -> BST) 09:00 local stays 09:00 local."""
    start = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)  # 09:00 GMT
    result = six_months_after(start)
    assert result == datetime(2027, 5, 12, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert result.astimezone(LONDON).hour == 9


def test_dates_just_after_midnight_local_counts_from_local_date():
    """Dates: 00:30 BST on 1 September is 23:30 UTC on 31 August; it counts from 1 September."""
    instant = datetime(2026, 8, 31, 23, 30, tzinfo=UTC)
    assert local_date(instant) == date(2026, 9, 1)
    result = six_months_after(instant)
    assert result == datetime(2027, 3, 1, 0, 30, tzinfo=UTC)
    assert local_date(result) == date(2027, 3, 1)
    # UTC arithmetic would have given 28 February: the wrong day.
    assert result != datetime(2027, 2, 28, 23, 30, tzinfo=UTC)


def test_dates_just_after_midnight_local_in_july():
    """Dates: 00:10 BST on 1 July (30 June in UTC) ends on 1 January, not 30 December."""
    result = six_months_after(datetime(2026, 6, 30, 23, 10, tzinfo=UTC))
    assert result == datetime(2027, 1, 1, 0, 10, tzinfo=UTC)


def test_dates_repeated_autumn_hour_keeps_the_wall_clock():
    """Dates: both 01:30s of 25 October 2026 (BST then GMT) map to 01:30 BST on 25 April 2027."""
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, an hour later
    assert six_months_after(first) == datetime(2027, 4, 25, 0, 30, tzinfo=UTC)
    assert six_months_after(second) == datetime(2027, 4, 25, 0, 30, tzinfo=UTC)


def test_dates_landing_in_the_repeated_hour_takes_the_first():
    """Dates: 01:30 BST on 25 April lands on 25 October's repeated 01:30; the first (BST) one."""
    assert six_months_after(datetime(2026, 4, 25, 0, 30, tzinfo=UTC)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_dates_landing_in_the_skipped_hour_moves_forward():
    """Dates: 01:30 BST on 28 September lands on 28 March 2027's missing hour; read as 02:30 BST."""
    assert six_months_after(datetime(2026, 9, 28, 0, 30, tzinfo=UTC)) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_dates_other_timezone():
    """Dates: the body's time zone is a parameter; in UTC 23:30 on 31 August stays 31 August."""
    instant = datetime(2026, 8, 31, 23, 30, tzinfo=UTC)
    assert six_months_after(instant, "UTC") == datetime(2027, 2, 28, 23, 30, tzinfo=UTC)
    assert local_date(instant, "UTC") == date(2026, 8, 31)
    # 09:00 in New York (EDT) on 31 August.
    assert six_months_after(datetime(2026, 8, 31, 13, 0, tzinfo=UTC), "America/New_York") == datetime(
        2027, 2, 28, 14, 0, tzinfo=UTC
    )


def test_dates_local_date_in_winter_equals_utc_date():
    """Dates: in GMT the local date and the UTC date agree, up to midnight."""
    assert local_date(datetime(2026, 1, 31, 23, 59, tzinfo=UTC)) == date(2026, 1, 31)
    assert local_date(datetime(2026, 7, 31, 23, 0, tzinfo=UTC)) == date(2026, 8, 1)
    assert local_date(datetime(2026, 7, 31, 22, 59, tzinfo=UTC)) == date(2026, 7, 31)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2027, 9, 13, 8, 30, tzinfo=UTC), "13 September 2027"),
        # 00:30 BST on 13 September is still the 12th in UTC: people read the London date.
        (datetime(2027, 9, 12, 23, 30, tzinfo=UTC), "13 September 2027"),
        (datetime(2028, 2, 29, 23, 59, tzinfo=UTC), "29 February 2028"),  # GMT: the UTC date
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "31 December 2026"),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "1 January 2027"),
    ],
)
def test_dates_written_date_is_the_london_date_in_words(instant, expected):
    """Dates: summaries and notices give the London calendar date as people write it."""
    assert written_date(instant) == expected


def test_dates_written_time_is_london_wall_clock_with_its_zone():
    """What mail says of a due date: 17:00 London time, in summer (BST) and in winter (GMT)."""
    assert written_time(datetime(2027, 9, 13, 16, 0, tzinfo=UTC)) == "13 September 2027 at 17:00 BST"
    assert written_time(datetime(2027, 1, 13, 17, 0, tzinfo=UTC)) == "13 January 2027 at 17:00 GMT"
    assert written_day(date(2027, 2, 1)) == "1 February 2027"


def test_dates_written_date_follows_the_configured_timezone():
    """Dates: the body's time zone is a parameter here too."""
    assert written_date(datetime(2027, 9, 12, 23, 30, tzinfo=UTC), "UTC") == "12 September 2027"


def _wall_exists(wall: datetime) -> bool:
    """Whether a naive London wall-clock time happens (not skipped by the spring change)."""
    aware = wall.replace(tzinfo=LONDON)
    return aware.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) == wall


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)))
def test_dates_six_months_is_six_calendar_months_on_the_local_calendar(instant):
    """Dates: for any instant, the result is six months later on the London calendar,
    clipped to the month's end, at the same wall-clock time (unless that time is skipped)."""
    local = instant.astimezone(LONDON)
    years, month0 = divmod(local.month - 1 + 6, 12)
    year, month = local.year + years, month0 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    expected_wall = datetime(year, month, day, local.hour, local.minute, local.second, local.microsecond)

    result = six_months_after(instant)
    assert result.utcoffset() == timedelta(0)
    result_wall = result.astimezone(LONDON).replace(tzinfo=None)
    if _wall_exists(expected_wall):
        assert result_wall == expected_wall
    else:
        # The skipped hour: the clocks went forward, so the wall clock reads an hour on.
        assert result_wall == expected_wall + timedelta(hours=1)
    assert timedelta(days=181) - timedelta(hours=1) <= result - instant <= timedelta(days=184) + timedelta(hours=1)
