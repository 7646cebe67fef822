"""The board report for a period, from the records database (R10a)."""

from datetime import datetime

from holiday_calendar import bank_holidays
from policy.dates import local_date
from policy.report import BoardReport, Period, board_report, month_buckets, working_days_between
from records.store import RecordStore


def build_report(store: RecordStore, period: Period, timezone: str, now: datetime) -> BoardReport:
    """Count the period's figures, work out the median working days to decide an
    approval (England and Wales bank holidays), and protect every count."""
    start, end = period.bounds(timezone)
    buckets = month_buckets(period, timezone)
    waits = [
        (local_date(opened, timezone), local_date(decided, timezone))
        for opened, decided in store.approval_waits(start, end)
    ]
    years = [day.year for pair in waits for day in pair]
    holidays = bank_holidays(range(min(years), max(years) + 1)) if years else frozenset()
    days = [working_days_between(opened, decided, holidays) for opened, decided in waits]
    return board_report(store.board_counts(start, end, buckets), period, buckets, days, now, timezone)
