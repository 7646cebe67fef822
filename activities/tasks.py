"""Planning a human task: its working-day dates and who may decide it.

Both need IO the workflow may not do: the bank-holiday calendar (its data
changes between releases of the `holidays` library) and the staff list. The
workflow calls `plan_task` once per task and stores the plan in its history
and the party's file; it is never re-derived.
"""

from temporalio import activity

from activities.database import retryable_database_errors
from holiday_calendar import bank_holidays
from policy.dates import local_date
from policy.payloads import TaskPlan, TaskPlanRequest
from policy.working_days import due_instant
from records.store import RecordStore

# 17:00 local time on the due day.
END_OF_WORKING_DAY = 17


class TaskActivities:
    """The task-planning activity, bound to the records database (the staff list).

    Args:
        store: The records database the staff list is read from.
    """

    def __init__(self, store: RecordStore) -> None:
        self._store = store

    @activity.defn(name="plan_task")
    def plan_task(self, request: TaskPlanRequest) -> TaskPlan:
        """Working-day dates and eligible deciders for a new task.

        Dates are 17:00 local time (`request.timezone`) on the working day
        `reminder_working_days`, `due_working_days` and twice
        `due_working_days` after the local date the task was created on,
        skipping weekends and England and Wales bank holidays.

        Args:
            request: The task's kind, creation instant, day counts, roles and
                excluded staff.

        Returns:
            The plan: reminder, due and escalation-due instants (aware UTC),
            and the active staff, not excluded, in a candidate role
            (`eligible_staff`) and in an escalation role (`eligible_alternates`).

        Raises:
            ApplicationError: Retryable, if the records database fails.
        """
        created = request.created_at
        days = {
            "reminder_at": request.reminder_working_days,
            "due_at": request.due_working_days,
            "escalation_due_at": 2 * request.due_working_days,
        }
        dates = _due_instants(request, days)
        excluded = set(request.excluded_staff)
        with retryable_database_errors():
            eligible = [s for s in self._store.staff_holding(request.candidate_roles) if s not in excluded]
            alternates = [s for s in self._store.staff_holding(request.escalation_roles) if s not in excluded]
        activity.logger.info(
            "planned task %s created %s: due %s, %d eligible, %d alternates",
            request.task_id,
            created.isoformat(),
            dates["due_at"].isoformat(),
            len(eligible),
            len(alternates),
        )
        return TaskPlan(**dates, eligible_staff=sorted(eligible), eligible_alternates=sorted(alternates))


def _due_instants(request: TaskPlanRequest, days: dict[str, int]) -> dict:
    """The instants for each day count, with a calendar that covers them all."""
    first_year = local_date(request.created_at, request.timezone).year
    last_year = first_year + 1
    while True:
        calendar = bank_holidays(range(first_year, last_year + 1))
        dates = {
            name: due_instant(request.created_at, n, calendar, request.timezone, END_OF_WORKING_DAY)
            for name, n in days.items()
        }
        # A count long enough to run past the calendar's last year: widen it.
        if all(local_date(d, request.timezone).year <= last_year for d in dates.values()):
            return dates
        last_year += 1
