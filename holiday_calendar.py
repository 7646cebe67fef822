"""England and Wales bank holidays, read from the `holidays` library, as data for the rules.

The rules count working days over a calendar they are given
(`policy.working_days.HolidayCalendar`): the library's data changes between
releases, so workflow code never reads it, and a date computed from it is
stored once (a task's due date by the `plan_task` activity, a contact's
respond-by date by the contact gate) and never re-derived.
"""

from datetime import date
from functools import lru_cache

import holidays as holiday_calendars

from policy.working_days import HolidayCalendar

# The body's jurisdiction (docs/policy.md, Dates): England and Wales.
HOLIDAY_COUNTRY = "GB"
HOLIDAY_SUBDIVISION = "ENG"


def bank_holidays(years: range) -> frozenset[date]:
    """England and Wales bank holidays in `years`, substitute days included."""
    calendar = holiday_calendars.country_holidays(HOLIDAY_COUNTRY, subdiv=HOLIDAY_SUBDIVISION, years=list(years))
    return frozenset(calendar.keys())


@lru_cache(maxsize=64)
def england_and_wales(first_year: int, last_year: int) -> HolidayCalendar:
    """The calendar of `first_year` to `last_year`; cached, as the contact gate asks per contact."""
    return HolidayCalendar(first_year, last_year, bank_holidays(range(first_year, last_year + 1)))
