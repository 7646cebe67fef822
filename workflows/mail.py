"""Periodic mail, started by Temporal Schedules (`client.schedules`): the notice
dispatch and the daily digest. Orchestration only: the activities read the
records and talk to the mail server.

Each mail is one activity retried with back-off while the mail server is
down or busy, for as long as the input's `MailRetry` allows; then it is
given up and recorded as undeliverable, where managers see it. Recording is a
second activity, retried without limit, so that a mail the server took is
not sent again because the records database failed just after.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, RetryState

with workflow.unsafe.imports_passed_through():
    from activities.digest import DigestActivities
    from activities.mail import MAIL_REFUSED
    from activities.notices import NoticeActivities
    from policy.dates import local_date
    from policy.payloads import (
        DigestDay,
        DigestDelivery,
        DigestFor,
        DigestInput,
        DigestReport,
        DispatchReport,
        MailRetry,
        NoticeDelivery,
        NoticeDispatchInput,
        NoticeRef,
        QueuedNotices,
    )
    from policy.vocabulary import NoticeStatus
    from workflows.retries import RECORDS_RETRY, RECORDS_TIMEOUT

# One SMTP conversation, with the settings' own timeout inside it.
SEND_TIMEOUT = timedelta(minutes=2)


def mail_retry_policy(retry: MailRetry) -> RetryPolicy:
    """Back-off doubling from `first_seconds` up to `max_seconds`, `attempts` tries in all."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=retry.first_seconds),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=retry.max_seconds),
        maximum_attempts=retry.attempts,
        non_retryable_error_types=[MAIL_REFUSED],
    )


def _problem(err: ActivityError, retry: MailRetry) -> str:
    """Why a mail was given up, in a line for the notice's record and the inbox."""
    cause = err.cause
    why = getattr(cause, "message", None) or str(cause or err)
    if err.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED:
        return f"not sent after {retry.attempts} attempts: {why}"
    return why


@workflow.defn(name="NoticeDispatch")
class NoticeDispatchWorkflow:
    """Mails the queued notices, all at once, and records what became of each."""

    @workflow.run
    async def run(self, inp: NoticeDispatchInput) -> DispatchReport:
        queued = await workflow.execute_activity_method(
            NoticeActivities.queued_notices,
            QueuedNotices(limit=inp.batch),
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
            summary="read the notice queue",
        )
        deliveries = await asyncio.gather(*(self._deliver(notice_id, inp.retry) for notice_id in queued))
        if len(queued) == inp.batch:
            # More may wait: a new run takes them, its history starting short.
            workflow.continue_as_new(inp)
        report = DispatchReport()
        for delivery in deliveries:
            if not delivery.already_closed:
                {
                    NoticeStatus.SENT: report.sent,
                    NoticeStatus.SKIPPED: report.skipped,
                    NoticeStatus.UNDELIVERABLE: report.undeliverable,
                }[delivery.status].append(delivery.notice_id)
        return report

    async def _deliver(self, notice_id: str, retry: MailRetry) -> NoticeDelivery:
        try:
            delivery = await workflow.execute_activity_method(
                NoticeActivities.send_notice,
                NoticeRef(notice_id=notice_id),
                start_to_close_timeout=SEND_TIMEOUT,
                retry_policy=mail_retry_policy(retry),
                summary=f"mail notice {notice_id}",
            )
        except ActivityError as err:
            delivery = NoticeDelivery(
                notice_id=notice_id,
                status=NoticeStatus.UNDELIVERABLE,
                at=workflow.now(),
                problem=_problem(err, retry),
            )
            workflow.logger.warning("notice %s undeliverable: %s", notice_id, delivery.problem)
        if not delivery.already_closed:
            await workflow.execute_activity_method(
                NoticeActivities.close_notice,
                delivery,
                start_to_close_timeout=RECORDS_TIMEOUT,
                retry_policy=RECORDS_RETRY,
                summary=f"record notice {notice_id} {delivery.status.value}",
            )
        return delivery


@workflow.defn(name="DailyDigest")
class DailyDigestWorkflow:
    """On a working day, mails each member of staff who asked for it their open tasks."""

    @workflow.run
    async def run(self, inp: DigestInput) -> DigestReport:
        # The schedule starts this at the set local time: its day is today's local date.
        day = local_date(workflow.now(), inp.timezone)
        plan = await workflow.execute_activity_method(
            DigestActivities.plan_digest,
            DigestDay(day=day),
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
            summary="working day? who asked for the digest?",
        )
        report = DigestReport(day=day, working_day=plan.working_day)
        results = await asyncio.gather(
            *(self._send(DigestFor(staff_id=staff_id, day=day), inp.retry) for staff_id in plan.staff_ids)
        )
        for staff_id, result in zip(plan.staff_ids, results, strict=True):
            if isinstance(result, str):
                report.undeliverable[staff_id] = result
            elif result.sent or result.already_sent:
                report.sent_to.append(staff_id)
            else:
                report.nothing_for.append(staff_id)
        return report

    async def _send(self, request: DigestFor, retry: MailRetry) -> DigestDelivery | str:
        """The delivery, or why it was given up (tomorrow's digest lists the same tasks again)."""
        try:
            delivery = await workflow.execute_activity_method(
                DigestActivities.send_digest,
                request,
                start_to_close_timeout=SEND_TIMEOUT,
                retry_policy=mail_retry_policy(retry),
                summary=f"mail the digest for {request.staff_id}",
            )
        except ActivityError as err:
            problem = _problem(err, retry)
            workflow.logger.warning("digest for %s undeliverable: %s", request.staff_id, problem)
            return problem
        if delivery.sent:
            await workflow.execute_activity_method(
                DigestActivities.record_digest,
                delivery,
                start_to_close_timeout=RECORDS_TIMEOUT,
                retry_policy=RECORDS_RETRY,
                summary=f"record the digest for {request.staff_id}",
            )
        return delivery
