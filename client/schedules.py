"""The project's periodic work as Temporal Schedules: visible, pausable and
triggerable in the Temporal UI (Schedules), with nothing to keep running.

- `ubp-notice-dispatch`: mails the queued notices, every
  `UBP_NOTICE_DISPATCH_SECONDS` (60).
- `ubp-daily-digest`: each member of staff who asked for it gets their open
  tasks at `UBP_DIGEST_TIME` (08:30) local time, Monday to Friday; the
  workflow skips bank holidays, which no calendar spec can name.
- `ubp-retention-sweep` (R3): every day at `UBP_RETENTION_SWEEP_TIME` (02:00)
  local time, the files past `UBP_RETENTION_YEARS` go; only while that is set.

`apply_schedules` creates them, or brings existing ones up to the settings.
A deploy runs it once (`ubp schedules apply`, the compose file's `schedules`
job), and `ubp dev` for the dev stack; never a worker, so an old worker in a
rolling deploy cannot put its settings back. A schedule id is unique in its
namespace, so there is never a second copy, however often it runs. A schedule an
operator paused stays paused. One the settings no longer ask for (the
retention sweep, once `UBP_RETENTION_YEARS` is unset) is deleted.
"""

import dataclasses
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from policy.payloads import DigestInput, MailRetry, NoticeDispatchInput, RetentionSweepInput
from settings import Settings
from workflows.mail import DailyDigestWorkflow, NoticeDispatchWorkflow
from workflows.retention import RetentionSweepWorkflow

NOTICE_DISPATCH = "ubp-notice-dispatch"
DAILY_DIGEST = "ubp-daily-digest"
RETENTION_SWEEP = "ubp-retention-sweep"
# Every schedule the project may run, wanted by the settings or not.
ALL_SCHEDULES = (NOTICE_DISPATCH, DAILY_DIGEST, RETENTION_SWEEP)
MONDAY, FRIDAY = 1, 5  # a calendar spec counts days of the week from Sunday = 0


def mail_retry(settings: Settings) -> MailRetry:
    return MailRetry(
        first_seconds=settings.mail_retry_first_seconds,
        max_seconds=settings.mail_retry_max_seconds,
        attempts=settings.mail_attempts,
    )


def dispatch_input(settings: Settings) -> NoticeDispatchInput:
    """The notice dispatch workflow's input, from the settings."""
    return NoticeDispatchInput(batch=settings.notice_batch, retry=mail_retry(settings))


def digest_input(settings: Settings) -> DigestInput:
    """The daily digest workflow's input, from the settings."""
    return DigestInput(timezone=settings.timezone, retry=mail_retry(settings))


def retention_input(settings: Settings, *, by: str, reason: str) -> RetentionSweepInput:
    """The retention sweep's input, from the settings: the period it names, if any, is for the
    log (the worker's own settings decide what goes)."""
    return RetentionSweepInput(years=settings.retention_years, by=by, reason=reason)


def schedules(settings: Settings) -> dict[str, Schedule]:
    """Every schedule the project runs, by id, as the settings want them."""
    wanted = {
        NOTICE_DISPATCH: Schedule(
            action=ScheduleActionStartWorkflow(
                NoticeDispatchWorkflow.run,
                dispatch_input(settings),
                id=NOTICE_DISPATCH,
                task_queue=settings.task_queue,
                static_summary="Mail queued notices to the staff who may decide their tasks",
            ),
            spec=ScheduleSpec(
                intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.notice_dispatch_seconds))]
            ),
            # One dispatch at a time: a run still retrying through a mail outage
            # holds the next back, and a missed run is not worth catching up
            # (the next one sends everything queued).
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=1)),
        ),
        DAILY_DIGEST: Schedule(
            action=ScheduleActionStartWorkflow(
                DailyDigestWorkflow.run,
                digest_input(settings),
                id=DAILY_DIGEST,
                task_queue=settings.task_queue,
                static_summary="Mail each member of staff who asked for it their open tasks",
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        hour=[ScheduleRange(settings.digest_time.hour)],
                        minute=[ScheduleRange(settings.digest_time.minute)],
                        day_of_week=[ScheduleRange(MONDAY, FRIDAY)],
                        comment="working days at UBP_DIGEST_TIME; the workflow skips bank holidays",
                    )
                ],
                time_zone_name=settings.timezone,
            ),
            # A digest still matters if the server was down at the hour, but
            # not once the working day is well under way.
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=3)),
        ),
    }
    if settings.retention_years is not None:
        wanted[RETENTION_SWEEP] = Schedule(
            action=ScheduleActionStartWorkflow(
                RetentionSweepWorkflow.run,
                retention_input(
                    settings, by=RETENTION_SWEEP, reason=f"retention period {settings.retention_years} years"
                ),
                id=RETENTION_SWEEP,
                task_queue=settings.task_queue,
                static_summary="Remove the parties' files past the retention period (R3), and their workflow runs",
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        hour=[ScheduleRange(settings.retention_sweep_time.hour)],
                        minute=[ScheduleRange(settings.retention_sweep_time.minute)],
                        comment="every day at UBP_RETENTION_SWEEP_TIME",
                    )
                ],
                time_zone_name=settings.timezone,
            ),
            # One sweep at a time; a day missed is made up by the next, which finds the same files.
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=6)),
        )
    return wanted


async def apply_schedules(client: Client, settings: Settings) -> dict[str, str]:
    """Create each schedule, or update the one that exists to the settings.

    Args:
        client: A client connected with `client.connection.connect`.
        settings: The task queue, the times and the mail retry policy.

    Returns:
        Each schedule id with `created`, `updated`, or `deleted` (one the settings no longer ask for).
    """
    applied: dict[str, str] = {}
    wanted = schedules(settings)
    for schedule_id, schedule in wanted.items():
        try:
            await client.create_schedule(schedule_id, schedule)
            applied[schedule_id] = "created"
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(schedule_id).update(_keeping_state(schedule))
            applied[schedule_id] = "updated"
    for schedule_id in ALL_SCHEDULES:
        if schedule_id not in wanted:
            try:
                await client.get_schedule_handle(schedule_id).delete()
                applied[schedule_id] = "deleted"
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
    return applied


def _keeping_state(schedule: Schedule):
    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        # Paused (with its note) by an operator in the UI: a restart must not resume it.
        return ScheduleUpdate(schedule=dataclasses.replace(schedule, state=current.description.schedule.state))

    return update
