"""The daily digest: each member of staff who asked for it gets their open tasks in one mail.

Only on working days (England and Wales bank holidays, as for task due
dates), and only to someone with an open task to decide. Like the notices,
the mail lists kinds, party ids, due dates and links: no summaries.
"""

from datetime import UTC, datetime
from email.message import EmailMessage

from temporalio import activity

from activities.database import retryable_database_errors
from activities.mail import Mailer, Recipient, task_link
from activities.tasks import bank_holidays
from policy.dates import written_day, written_time
from policy.payloads import DigestDay, DigestDelivery, DigestFor, DigestPlan
from policy.tasks import TASK_TITLES
from policy.working_days import is_working_day
from records.store import RecordStore
from records.task_list import TaskListing


class DigestActivities:
    """The digest activities, bound to the records database and the mail server.

    Args:
        store: The records database: the staff list, the task list, digests sent.
        mailer: The SMTP server, from the settings.
        inbox_url: The inbox's address, for the links (`Settings.inbox_url`).
        timezone: The body's time zone, for the dates in the mail.
    """

    def __init__(self, store: RecordStore, mailer: Mailer, inbox_url: str, timezone: str) -> None:
        self._store = store
        self._mailer = mailer
        self._inbox_url = inbox_url
        self._timezone = timezone

    @activity.defn(name="plan_digest")
    def plan_digest(self, request: DigestDay) -> DigestPlan:
        """Whether `request.day` is a working day, and who asked for the digest.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        working = is_working_day(request.day, bank_holidays(range(request.day.year, request.day.year + 1)))
        if not working:
            return DigestPlan(day=request.day, working_day=False)
        with retryable_database_errors():
            subscribers = self._store.digest_subscribers()
        return DigestPlan(day=request.day, working_day=True, staff_ids=[s.staff_id for s in subscribers])

    @activity.defn(name="send_digest")
    def send_digest(self, request: DigestFor) -> DigestDelivery:
        """Mail one person their open tasks, soonest due first; idempotent on `staff_id:day`.

        Nothing is sent if the digest went already, if they have no open task
        they may decide, or if they no longer want it (or have no address).

        Raises:
            ApplicationError: Retryable if the database fails, or the mail
                server is down or busy; not retryable if it refuses the mail.
        """
        now = datetime.now(UTC)
        nothing = DigestDelivery(staff_id=request.staff_id, day=request.day, at=now, sent=False)
        with retryable_database_errors():
            if self._store.digest(request.digest_id) is not None:
                return nothing.model_copy(update={"already_sent": True})
            staff = self._store.staff(request.staff_id)
            if staff is None or not staff.active or not staff.digest or not staff.email:
                return nothing
            tasks = self._store.open_tasks(person=staff.staff_id)
        if not tasks:
            return nothing
        recipient = Recipient(staff.staff_id, staff.name, staff.email)
        self._mailer.send(self._message(request, recipient, tasks, now))
        return nothing.model_copy(update={"sent": True, "task_ids": [t.task_id for t in tasks]})

    @activity.defn(name="record_digest")
    def record_digest(self, delivery: DigestDelivery) -> bool:
        """Record that a digest went; the first record counts.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        digest_id = DigestFor(staff_id=delivery.staff_id, day=delivery.day).digest_id
        with retryable_database_errors():
            first = self._store.record_digest(
                digest_id, delivery.staff_id, delivery.day, delivery.task_ids, delivery.at
            )
        if first:
            activity.metric_meter().create_counter("ubp_digests_sent", "daily digests sent").add(1)
        return first

    def _message(
        self, request: DigestFor, recipient: Recipient, tasks: list[TaskListing], now: datetime
    ) -> EmailMessage:
        day = written_day(request.day)
        count = f"{len(tasks)} open task{'s' if len(tasks) != 1 else ''}"
        lines = [f"You may decide {count}, soonest due first.", ""]
        for n, task in enumerate(tasks, 1):
            due = written_time(task.due_at, self._timezone) if task.due_at is not None else "not set yet"
            flags = [flag for flag, on in (("ESCALATED", task.escalated_at), ("OVERDUE", task.overdue_since)) if on]
            lines += [
                f"{n}. {TASK_TITLES[task.kind]}, party {task.party_id}",
                f"   Due {due}{'  ' + ' '.join(flags) if flags else ''}",
                f"   {task_link(self._inbox_url, task.task_id)}",
                "",
            ]
        lines += ["Your inbox:", self._inbox_url, "", "You get this mail because you asked for the daily digest."]
        return self._mailer.message(
            [recipient],
            f"Your {count} on {day}",
            "\n".join(lines) + "\n",
            self._mailer.message_id("digest", request.digest_id),
            now,
        )
