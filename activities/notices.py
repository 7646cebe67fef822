"""Mailing the notices the party workflows queue: to whom, what it says, and closing it.

A notice goes to the people who may decide its task at the moment it was
queued: active staff holding one of the notice's roles (the candidates, and
the alternates once the task escalated) and not excluded for a conflict of
interest, the rule the task list applies (`policy.tasks.may_decide`). The
mail names the task, the party id, the due date and the task's page in the
inbox, and nothing more: no summary, no incident, nothing about the party
beyond its id. Whoever may decide reads the rest in the inbox, signed in.

Plain `def`s: they block on the database and on SMTP, and run in the worker's
thread pool. The dispatch workflow calls `send_notice` and then `close_notice`,
two activities, so a mail the server took is never sent again because the
records database failed afterwards.
"""

import textwrap
from datetime import UTC, datetime
from email.message import EmailMessage

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.database import retryable_database_errors
from activities.mail import Mailer, Recipient, task_link
from policy.dates import written_time
from policy.payloads import NoticeDelivery, NoticeRef, QueuedNotices
from policy.tasks import TASK_TITLES, may_decide
from policy.vocabulary import NoticeKind, NoticeStatus, Role, TaskStatus, in_words
from records.store import RecordStore
from records.tables import NoticeRow
from records.task_list import TaskListing

HEADINGS = {
    NoticeKind.TASK_OPENED: "New task",
    NoticeKind.REMINDER: "Reminder",
    NoticeKind.ESCALATED: "Escalated",
    NoticeKind.OVERDUE: "Overdue",
    NoticeKind.WITHDRAWN: "Withdrawn",
}
# Each under 78 characters, so the mail stays plain 7-bit text.
LEADS = {
    NoticeKind.TASK_OPENED: "A new task waits for a decision by someone in your role.",
    NoticeKind.REMINDER: "This task still waits for a decision.",
    NoticeKind.ESCALATED: "This task is escalated: the alternates may now decide it too.",
    NoticeKind.OVERDUE: "This task is overdue: nobody decided it by its escalation due date.",
    NoticeKind.WITHDRAWN: "This task is withdrawn: no decision is needed any more.",
}


class NoticeActivities:
    """The notice activities, bound to the records database and the mail server.

    Args:
        store: The records database: the notice queue, the tasks, the staff list.
        mailer: The SMTP server, from the settings.
        inbox_url: The inbox's address, for the link to each task (`Settings.inbox_url`).
        timezone: The body's time zone, for the dates in the mail.
    """

    def __init__(self, store: RecordStore, mailer: Mailer, inbox_url: str, timezone: str) -> None:
        self._store = store
        self._mailer = mailer
        self._inbox_url = inbox_url
        self._timezone = timezone

    @activity.defn(name="queued_notices")
    def queued_notices(self, request: QueuedNotices) -> list[str]:
        """The ids of the oldest queued notices, at most `request.limit`.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            return self._store.queued_notice_ids(request.limit)

    @activity.defn(name="send_notice")
    def send_notice(self, ref: NoticeRef) -> NoticeDelivery:
        """Mail one queued notice to the people who may decide its task; idempotent on the notice id.

        A notice closed already is not sent again. One about a task decided
        since is skipped (a withdrawal is always sent). Staff who may decide
        but have no email address are named in `not_reached`. With nobody to
        mail, the notice is undeliverable at once: retrying cannot find anyone.

        Returns:
            What became of it, for `close_notice` to record.

        Raises:
            ApplicationError: Retryable if the database fails, or the mail
                server is down or busy; not retryable if the notice is unknown
                or the server refuses the mail.
        """
        now = datetime.now(UTC)
        with retryable_database_errors():
            notice = self._store.notice(ref.notice_id)
            if notice is None:
                raise ApplicationError(f"no notice {ref.notice_id!r}", type="UnknownNotice", non_retryable=True)
            if notice.status != NoticeStatus.QUEUED:
                return NoticeDelivery(
                    notice_id=notice.notice_id,
                    status=NoticeStatus(notice.status),
                    at=notice.closed_at or now,
                    already_closed=True,
                )
            task = self._store.task_listing(notice.task_id)
            staff = self._store.list_staff(active_only=True)

        def closed(status: NoticeStatus, problem: str, not_reached: list[str] | None = None) -> NoticeDelivery:
            activity.logger.warning("notice %s %s: %s", notice.notice_id, status.value, problem)
            return NoticeDelivery(
                notice_id=notice.notice_id, status=status, at=now, problem=problem, not_reached=not_reached or []
            )

        if task is None:
            return closed(NoticeStatus.UNDELIVERABLE, f"task {notice.task_id} is not in the records database")
        if task.status != TaskStatus.OPEN and notice.kind != NoticeKind.WITHDRAWN:
            return closed(NoticeStatus.SKIPPED, f"the task was {task.status.value} before the notice went out")
        roles = [Role(r) for r in notice.roles]
        deciders = [s for s in staff if may_decide(s.staff_id, s.roles, roles, task.excluded_staff)]
        if not deciders:
            return closed(NoticeStatus.UNDELIVERABLE, f"nobody active may decide it ({_words(roles)})")
        recipients = [Recipient(s.staff_id, s.name, s.email) for s in deciders if s.email]
        not_reached = [f"{s.staff_id}: no email address" for s in deciders if not s.email]
        if not recipients:
            return closed(NoticeStatus.UNDELIVERABLE, "nobody who may decide it has an email address", not_reached)

        refused = self._mailer.send(self._message(notice, task, recipients, now))
        not_reached += [
            f"{r.staff_id}: refused by the mail server ({refused[r.email]})" for r in recipients if r.email in refused
        ]
        if not_reached:
            activity.logger.warning("notice %s did not reach %s", notice.notice_id, "; ".join(not_reached))
        return NoticeDelivery(
            notice_id=notice.notice_id,
            status=NoticeStatus.SENT,
            at=now,
            recipients=[r.staff_id for r in recipients if r.email not in refused],
            not_reached=not_reached,
        )

    @activity.defn(name="close_notice")
    def close_notice(self, delivery: NoticeDelivery) -> bool:
        """Record what became of a notice; the first close counts.

        Returns:
            True if it was queued until now.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            first = self._store.close_notice(delivery)
        if first:
            # Served with the SDK's metrics by the worker's runtime (UBP_WORKER_METRICS_ADDRESS).
            counter = activity.metric_meter().create_counter("ubp_notices", "notices closed, by status")
            counter.add(1, {"status": delivery.status.value})
        return first

    def _message(
        self, notice: NoticeRow, task: TaskListing, recipients: list[Recipient], now: datetime
    ) -> EmailMessage:
        kind = NoticeKind(notice.kind)
        title = TASK_TITLES[task.kind]
        due = task.escalation_due_at if task.escalated_at is not None else task.due_at
        subject = f"{HEADINGS[kind]}: {title}, party {task.party_id}"
        if due is not None and kind != NoticeKind.WITHDRAWN:
            subject += f", due {written_time(due, self._timezone)}"
        lines = [
            LEADS[kind],
            "",
            f"Task:   {title} ({task.task_id})",
            f"Party:  {task.party_id}",
            f"Due:    {self._when(task.due_at)}",
        ]
        if task.escalated_at is not None:
            lines.append(f"Escalated: {self._when(task.escalated_at)} ({task.escalation_reason})")
            lines.append(f"Escalation due: {self._when(task.escalation_due_at)}")
        if task.overdue_since is not None:
            lines.append(f"Overdue since: {self._when(task.overdue_since)}")
        lines += [
            "",
            "Open the task in the inbox:",
            task_link(self._inbox_url, task.task_id),
            "",
            textwrap.fill(
                f"You get this mail because you hold a role that may decide this task"
                f" ({_words([Role(r) for r in notice.roles])}). It names the party by its id"
                " only: sign in to the inbox to see the rest.",
                width=72,
            ),
        ]
        return self._mailer.message(
            recipients, subject, "\n".join(lines) + "\n", self._mailer.message_id("notice", notice.notice_id), now
        )

    def _when(self, instant: datetime | None) -> str:
        return written_time(instant, self._timezone) if instant is not None else "not set yet"


def _words(roles: list[Role]) -> str:
    return ", ".join(in_words(r.value) for r in roles)
