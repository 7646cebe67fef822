"""The soak's audit of the party workflows' histories: timers and workflow tasks.

A timer is due when the workflow asked it to be: the start of the workflow
task that set it (`workflow.now()` there) plus its duration. It is acted on
when the first workflow task after it fired completes: that is when the
party's file can change. While the worker is killed, or the records database is down
(bench.soak_outage), nothing reaches the file, so a timer due during an outage
is measured from the moment the worker, or the database, is back.
A timer that came due just before a kill, its task in flight on the killed
worker, waits for Temporal's workflow task timeout (10 s): those are counted
apart, with their own worst lateness.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client

# Workflow tasks the server ends itself because messages arrived meanwhile: retried, not failures of the code.
SERVER_ENDED = (
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
)


@dataclass
class Outage:
    """From the worker's SIGKILL until its successor polls, or the records database down until it is back."""

    killed_at: datetime
    back_at: datetime


@dataclass
class Audit:
    timers_due: int = 0  # fired, or due and not yet fired
    timers_fired: int = 0
    timers_overdue_unfired: int = 0
    max_fire_lateness: float = 0.0  # the server's part
    max_act_lateness: float = 0.0  # due until acted on, outages included
    max_act_lateness_worker_up: float = 0.0  # the same, counted from the worker's return for a timer due in an outage
    timers_late: int = 0  # acted on later than the bound after they were due (or after the worker was back)
    in_flight_at_kill: int = 0  # due before a kill, acted on after it
    max_in_flight_lateness: float = 0.0
    failed: int = 0
    stuck: int = 0
    late_examples: list[str] = field(default_factory=list)


def _when(e) -> datetime:
    return e.event_time.ToDatetime().replace(tzinfo=UTC)


def _ready_for(due: datetime, outages: list[Outage]) -> datetime:
    """When the worker could first act on a timer due at `due`."""
    for o in outages:
        if o.killed_at <= due <= o.back_at:
            return o.back_at
    return due


async def audit(client: Client, task_queue: str, outages: list[Outage], late: float, now: datetime) -> Audit:
    """Every run on `task_queue`: its timers' lateness, failed workflow tasks, open runs with a task retried."""
    found = Audit()
    async for w in client.list_workflows(f"TaskQueue = '{task_queue}'"):
        history = await client.get_workflow_handle(w.id, run_id=w.run_id).fetch_history()
        task_started: datetime | None = None
        pending: dict[str, datetime] = {}  # timer id -> due
        fired: list[datetime] = []  # due times of timers fired and not yet acted on
        for e in history.events:
            t = e.event_type
            if t == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                task_started = _when(e)
            elif t == EventType.EVENT_TYPE_TIMER_STARTED:
                a = e.timer_started_event_attributes
                base = task_started or _when(e)
                pending[a.timer_id] = base + a.start_to_fire_timeout.ToTimedelta()
            elif t == EventType.EVENT_TYPE_TIMER_CANCELED:
                pending.pop(e.timer_canceled_event_attributes.timer_id, None)
            elif t == EventType.EVENT_TYPE_TIMER_FIRED:
                due = pending.pop(e.timer_fired_event_attributes.timer_id)
                found.timers_due += 1
                found.timers_fired += 1
                found.max_fire_lateness = max(found.max_fire_lateness, (_when(e) - due).total_seconds())
                fired.append(due)
            elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                for due in fired:
                    _acted(found, w.id, due, _when(e), outages, late)
                fired = []
            elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                found.failed += e.workflow_task_failed_event_attributes.cause not in SERVER_ENDED
        for due in fired:  # fired, never acted on
            _acted(found, w.id, due, now, outages, late)
        overdue = [due for due in pending.values() if due < now - timedelta(seconds=late)]
        found.timers_due += len(overdue)
        found.timers_overdue_unfired += len(overdue)
        if w.status is not None and w.status.name == "RUNNING":
            raw = (await client.get_workflow_handle(w.id).describe()).raw_description
            if raw.HasField("pending_workflow_task") and raw.pending_workflow_task.attempt > 1:
                found.stuck += 1
    return found


def _acted(found: Audit, workflow_id: str, due: datetime, at: datetime, outages: list[Outage], late: float) -> None:
    lateness = (at - due).total_seconds()
    found.max_act_lateness = max(found.max_act_lateness, lateness)
    if any(due < o.killed_at < at for o in outages):
        found.in_flight_at_kill += 1
        found.max_in_flight_lateness = max(found.max_in_flight_lateness, lateness)
        return
    worker_up = (at - _ready_for(due, outages)).total_seconds()
    found.max_act_lateness_worker_up = max(found.max_act_lateness_worker_up, worker_up)
    if worker_up > late:
        found.timers_late += 1
        if len(found.late_examples) < 5:
            found.late_examples.append(f"{workflow_id} due {due.isoformat()} acted on {lateness:.1f} s after")
