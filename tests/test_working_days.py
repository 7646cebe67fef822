"""Working-day due dates: weekends and England and Wales bank holidays skipped,
17:00 local time on the day, summer time included.

The expected dates are worked out by hand from the published bank holidays
(gov.uk) and hard-coded; the activity computes them with the real `holidays`
library. 2026: Christmas Fri 25 Dec, Boxing Day Sat 26 Dec with its
substitute Mon 28 Dec. 2027: New Year's Day Fri 1 Jan, Good Friday 26 Mar,
Easter Monday 29 Mar; Christmas Sat 25 Dec and Boxing Day Sun 26 Dec with
substitutes Mon 27 and Tue 28 Dec. 2028: New Year's Day Sat 1 Jan,
substitute Mon 3 Jan. Summer time: 2026 ends Sun 25 Oct; 2027 starts Sun
28 Mar.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import ActivityEnvironment

from activities.tasks import TaskActivities
from holiday_calendar import bank_holidays
from policy.payloads import TaskPlan, TaskPlanRequest
from policy.vocabulary import Role, TaskKind
from policy.working_days import add_working_days, due_instant, is_working_day
from records.store import RecordStore

LONDON = ZoneInfo("Europe/London")


def london(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=LONDON)


def plan(
    store: RecordStore, created_at: datetime, reminder: int, due: int, timezone: str = "Europe/London"
) -> TaskPlan:
    request = TaskPlanRequest(
        task_id="t-1",
        kind=TaskKind.RESTRICTION_APPROVAL,
        created_at=created_at,
        timezone=timezone,
        reminder_working_days=reminder,
        due_working_days=due,
        candidate_roles=[Role.OMBUDSMAN, Role.EXECUTIVE_TEAM],
        escalation_roles=[Role.ASSISTANT_DEPUTY_OMBUDSMAN],
        excluded_staff=[],
    )
    return ActivityEnvironment().run(TaskActivities(store).plan_task, request)


# (created, working days, the working day reached): counted from the local date created.
KNOWN_DATES = [
    # Christmas and New Year 2026/27.
    pytest.param(london(2026, 12, 21), 3, date(2026, 12, 24), id="Mon 21 Dec +3: Thu 24 Dec"),
    pytest.param(london(2026, 12, 21), 4, date(2026, 12, 29), id="Mon 21 Dec +4: over Christmas and Boxing Day"),
    pytest.param(london(2026, 12, 23), 2, date(2026, 12, 29), id="Wed 23 Dec +2: Tue 29 Dec"),
    pytest.param(london(2026, 12, 23), 5, date(2027, 1, 4), id="Wed 23 Dec +5: over New Year's Day, Mon 4 Jan"),
    pytest.param(london(2026, 12, 23), 10, date(2027, 1, 11), id="Wed 23 Dec +10: Mon 11 Jan"),
    pytest.param(london(2026, 12, 24), 1, date(2026, 12, 29), id="Thu 24 Dec +1: Tue 29 Dec"),
    pytest.param(london(2026, 12, 24), 5, date(2027, 1, 5), id="Thu 24 Dec +5: Tue 5 Jan"),
    pytest.param(london(2026, 12, 25), 0, date(2026, 12, 29), id="Christmas Day +0: next working day"),
    pytest.param(london(2026, 12, 26), 1, date(2026, 12, 29), id="Boxing Day (Sat) +1: Tue 29 Dec"),
    pytest.param(london(2026, 12, 31), 1, date(2027, 1, 4), id="Thu 31 Dec +1: Mon 4 Jan"),
    # Easter 2027.
    pytest.param(london(2027, 3, 22), 5, date(2027, 3, 31), id="Mon 22 Mar +5: over Easter, Wed 31 Mar"),
    pytest.param(london(2027, 3, 24), 2, date(2027, 3, 30), id="Wed 24 Mar +2: Tue 30 Mar"),
    pytest.param(london(2027, 3, 24), 5, date(2027, 4, 2), id="Wed 24 Mar +5: Fri 2 Apr"),
    pytest.param(london(2027, 3, 25), 1, date(2027, 3, 30), id="Thu 25 Mar +1: Tue 30 Mar"),
    pytest.param(london(2027, 3, 25), 10, date(2027, 4, 12), id="Thu 25 Mar +10: Mon 12 Apr"),
    pytest.param(london(2027, 3, 26), 0, date(2027, 3, 30), id="Good Friday +0: Tue 30 Mar"),
    # Easter 2026, and an ordinary week.
    pytest.param(london(2026, 4, 2), 1, date(2026, 4, 7), id="Thu 2 Apr 2026 +1: Tue 7 Apr"),
    pytest.param(london(2026, 6, 10), 5, date(2026, 6, 17), id="Wed 10 Jun 2026 +5: Wed 17 Jun"),
    pytest.param(london(2026, 6, 13), 0, date(2026, 6, 15), id="Sat 13 Jun +0: Mon 15 Jun"),
    # Christmas 2027 into 2028: both substitute days, and 2028's New Year substitute.
    pytest.param(london(2027, 12, 24), 1, date(2027, 12, 29), id="Fri 24 Dec 2027 +1: Wed 29 Dec"),
    pytest.param(london(2027, 12, 24), 5, date(2028, 1, 5), id="Fri 24 Dec 2027 +5: Wed 5 Jan 2028"),
]


@pytest.mark.parametrize(("created", "days", "expected"), KNOWN_DATES)
def test_due_dates_match_the_known_table(
    record_store: RecordStore, created: datetime, days: int, expected: date
) -> None:
    """Working days skip weekends and bank holidays: Christmas, Boxing Day, New Year, Easter, substitutes."""
    result = plan(record_store, created, days, days)
    assert result.reminder_at == result.due_at
    assert result.due_at.tzinfo is UTC
    local = result.due_at.astimezone(LONDON)
    assert (local.date(), local.hour, local.minute) == (expected, 17, 0)


@pytest.mark.parametrize(
    ("created", "reminder", "due", "escalation"),
    [
        pytest.param(
            london(2026, 12, 23, 15),
            datetime(2026, 12, 29, 17, tzinfo=UTC),
            datetime(2027, 1, 4, 17, tzinfo=UTC),
            datetime(2027, 1, 11, 17, tzinfo=UTC),
            id="approval over Christmas: 2, 5, 10 working days",
        ),
        pytest.param(
            london(2027, 3, 24, 9),
            datetime(2027, 3, 30, 16, tzinfo=UTC),  # 17:00 BST
            datetime(2027, 4, 2, 16, tzinfo=UTC),
            datetime(2027, 4, 9, 16, tzinfo=UTC),
            id="approval over Easter: 2, 5, 10 working days, in summer time",
        ),
    ],
)
def test_an_approvals_reminder_due_and_escalation_dates(
    record_store: RecordStore, created: datetime, reminder: datetime, due: datetime, escalation: datetime
) -> None:
    """The escalation falls due twice the due date's working days after creation."""
    result = plan(record_store, created, 2, 5)
    assert (result.reminder_at, result.due_at, result.escalation_due_at) == (reminder, due, escalation)


def test_the_due_hour_follows_summer_time(record_store: RecordStore) -> None:
    """17:00 local is 17:00 UTC in winter and 16:00 UTC in summer, across the change."""
    # Created in GMT on Thu 25 Mar 2027; clocks go forward on Sun 28 Mar.
    spring = plan(record_store, datetime(2027, 3, 25, 9, tzinfo=UTC), 1, 1)
    assert spring.due_at == datetime(2027, 3, 30, 16, tzinfo=UTC)
    # Created in BST on Fri 23 Oct 2026; clocks go back on Sun 25 Oct.
    autumn = plan(record_store, datetime(2026, 10, 23, 9, tzinfo=UTC), 1, 1)
    assert autumn.due_at == datetime(2026, 10, 26, 17, tzinfo=UTC)


def test_the_local_date_counts_not_the_utc_date(record_store: RecordStore) -> None:
    """23:30 UTC on Wed 31 Mar 2027 is already Thu 1 Apr in London (BST): one working day is Fri 2 Apr."""
    result = plan(record_store, datetime(2027, 3, 31, 23, 30, tzinfo=UTC), 1, 1)
    assert result.due_at == datetime(2027, 4, 2, 16, tzinfo=UTC)
    # In GMT the dates agree: 23:30 UTC on Thu 24 Dec 2026 is still the 24th.
    result = plan(record_store, datetime(2026, 12, 24, 23, 30, tzinfo=UTC), 1, 1)
    assert result.due_at == datetime(2026, 12, 29, 17, tzinfo=UTC)


def test_another_time_zone_keeps_the_english_holidays(record_store: RecordStore) -> None:
    """The hour is local to the body's time zone; the calendar stays England and Wales."""
    result = plan(record_store, datetime(2026, 12, 23, 15, tzinfo=UTC), 2, 2, timezone="America/New_York")
    assert result.due_at == datetime(2026, 12, 29, 22, tzinfo=UTC)  # 17:00 EST


def test_a_long_count_widens_the_calendar(record_store: RecordStore) -> None:
    """A count that runs past next year still skips the bank holidays of the years it reaches."""
    created = london(2026, 12, 23)
    result = plan(record_store, created, 1, 150)
    calendar = bank_holidays(range(2026, 2031))
    assert result.escalation_due_at == due_instant(created, 300, calendar, "Europe/London")
    assert result.escalation_due_at.year == 2028


def test_bank_holidays_come_from_the_library() -> None:
    """The activity's calendar holds the substitute days (the table above depends on it)."""
    calendar = bank_holidays(range(2026, 2028))
    for day in (date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29)):
        assert day in calendar
    assert date(2026, 12, 24) not in calendar


def test_working_day_arithmetic_with_a_given_calendar() -> None:
    """Pure: no library, the holidays are what is passed in."""
    holidays = {date(2030, 1, 2)}  # a Wednesday, say
    assert add_working_days(date(2029, 12, 31), 0, holidays) == date(2029, 12, 31)  # Monday
    assert add_working_days(date(2029, 12, 31), 1, holidays) == date(2030, 1, 1)
    assert add_working_days(date(2029, 12, 31), 2, holidays) == date(2030, 1, 3)
    assert add_working_days(date(2030, 1, 4), 1, holidays) == date(2030, 1, 7)  # Friday to Monday
    assert add_working_days(date(2030, 1, 5), 0, holidays) == date(2030, 1, 7)  # Saturday to Monday
    assert add_working_days(date(2030, 1, 5), 1, holidays) == date(2030, 1, 7)
    assert add_working_days(date(2030, 1, 5), 0, []) == date(2030, 1, 7)
    assert not is_working_day(date(2030, 1, 2), holidays)
    with pytest.raises(ValueError):
        add_working_days(date(2030, 1, 1), -1, holidays)
    with pytest.raises(ValueError):
        due_instant(datetime(2030, 1, 1, 9), 1, holidays, "Europe/London")  # naive


def test_due_instant_at_another_hour() -> None:
    """The hour is a parameter: 09:00 London in summer is 08:00 UTC."""
    instant = due_instant(datetime(2027, 6, 1, 9, tzinfo=UTC), 1, [], "Europe/London", hour=9)
    assert instant == datetime(2027, 6, 2, 8, tzinfo=UTC)
