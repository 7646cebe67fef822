"""Who works a task: claim, give back, assign, and a manager's reassignment of a leaver's tasks.

The one path the HTTP API, the CLI (through the API) and the inbox take. Each
change is made as the signed-in person, allowed by the permission table
(`claim_task`, `assign_task`, `reassign_tasks`) through services.acting, and
only to someone the claim rules let work the task (policy.claims.may_work: they
could decide it now). The records database keeps the claim and its log
(records.task_claims); nothing goes to the party's workflow (why: policy.claims).
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from policy.claims import ClaimChange, claim_binds, may_work, why_not_binding
from policy.fields import Door, StaffId
from policy.permissions import Action
from policy.state import HumanTask
from policy.vocabulary import TaskStatus
from records.store import RecordStore
from records.tables import TaskRow
from services.acting import Principal, authorise
from services.decisions import DecisionRefused, Refused, load_task, task_of
from services.staff import colleague, colleague_of


class ClaimRefused(DecisionRefused):
    """A claim, a giving back or an assignment was refused; nothing changed. Each door maps
    `why` as it maps a refused decision's."""


class ClaimLogEntry(BaseModel):
    """One line of a task's claim log."""

    at: datetime
    change: ClaimChange
    changed_by: str = Field(description="who made the change: the signed-in member of staff")
    previous_holder: str | None
    holder: str | None
    reason: str = ""


class TaskClaim(BaseModel):
    """Who works a task now, whether that holds back others' decisions, and the claim log."""

    task_id: str
    party_id: str
    claimed_by: str | None = Field(description="who works it now; null: nobody")
    claimed_at: datetime | None
    assigned_by: str | None = Field(description="the manager who gave it to them, if they did not claim it")
    binding: bool = Field(description="whether only the holder may decide it now (policy.claims)")
    not_binding_because: str | None = Field(description="why a claim on file no longer holds back a decision")
    log: list[ClaimLogEntry]


class Assignment(BaseModel):
    """Give a task to a colleague who may decide it now; who assigns is the signed-in manager."""

    model_config = ConfigDict(extra="forbid")

    to: StaffId = Field(description="the colleague who works the task from now")
    reason: str = Field(default="", max_length=1000, description="why, for the claim log")


class Reassignment(BaseModel):
    """Move every open task someone holds (they left, or are away); who moves them is the signed-in manager."""

    model_config = ConfigDict(extra="forbid")

    from_staff: StaffId = Field(description="whose tasks move")
    to: StaffId | None = Field(
        default=None,
        description="who takes them, where they may decide them; the others (or all, if null) go back to nobody",
    )
    reason: str = Field(min_length=1, max_length=1000, description="why, for each task's claim log")


@dataclass(frozen=True)
class Moved:
    """What a reassignment did with one task: given to `holder`, or back to nobody."""

    task_id: str
    party_id: str
    holder: str | None


async def claim_of(store: RecordStore, task_id: str) -> TaskClaim:
    """Who works the task now, and its claim log.

    Raises:
        ClaimRefused: UNKNOWN_TASK.
    """
    row = await _task(store, task_id)
    holder = await asyncio.to_thread(colleague, store, row.claimed_by) if row.claimed_by else None
    log = await asyncio.to_thread(store.claim_log, task_id)
    task = task_of(row)
    return TaskClaim(
        task_id=row.task_id,
        party_id=row.party_id,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        assigned_by=row.assigned_by,
        binding=claim_binds(task, holder, row.claimed_at),
        not_binding_because=why_not_binding(task, holder, row.claimed_at),
        log=[ClaimLogEntry.model_validate(entry, from_attributes=True) for entry in log],
    )


async def claim_task(store: RecordStore, *, caller: Principal, door: Door, task_id: str) -> TaskClaim:
    """Take an open task to work on, as the signed-in person.

    Raises:
        NotPermitted: The permission table refuses `claim_task`.
        ClaimRefused: UNKNOWN_TASK; NOT_ALLOWED when they may not decide this task now;
            CLAIMED when someone else's claim binds (or changed just now); NOT_OPEN.
    """
    by = await asyncio.to_thread(authorise, store, caller, Action.CLAIM_TASK, door)
    row = await _open_task(store, task_id)
    if row.claimed_by == by.actor:
        return await claim_of(store, task_id)
    await _require_may_work(store, by.actor, task_of(row), "you")
    if row.claimed_by is not None:
        holder = await asyncio.to_thread(colleague, store, row.claimed_by)
        if claim_binds(task_of(row), holder, row.claimed_at):
            raise ClaimRefused(
                Refused.CLAIMED,
                f"tasks: {row.claimed_by} works task {task_id} now; ask them to give it back, or a manager to "
                "assign it to you",
            )
    await _change(store, row, holder=by.actor, change=ClaimChange.CLAIMED, by=by.actor)
    return await claim_of(store, task_id)


async def unclaim_task(store: RecordStore, *, caller: Principal, door: Door, task_id: str) -> TaskClaim:
    """Give a task back (to nobody): one's own (`claim_task`), or, for a manager, someone else's
    (`assign_task`).

    Raises:
        NotPermitted: The permission table refuses the action.
        ClaimRefused: UNKNOWN_TASK; NOT_OPEN; CLAIMED when it changed hands just now.
    """
    row = await _task(store, task_id)
    own = row.claimed_by in (None, caller.id)
    by = await asyncio.to_thread(authorise, store, caller, Action.CLAIM_TASK if own else Action.ASSIGN_TASK, door)
    if row.claimed_by is None:
        return await claim_of(store, task_id)
    _require_open(row)
    await _change(store, row, holder=None, change=ClaimChange.UNCLAIMED, by=by.actor)
    return await claim_of(store, task_id)


async def assign_task(
    store: RecordStore, *, caller: Principal, door: Door, task_id: str, to: str, reason: str = ""
) -> TaskClaim:
    """Give an open task to a colleague who may decide it, as a manager (`assign_task`), taking it
    off whoever had it.

    Raises:
        NotPermitted: The permission table refuses `assign_task`.
        ClaimRefused: UNKNOWN_TASK; NOT_ALLOWED when `to` may not decide this task now; NOT_OPEN;
            CLAIMED when it changed hands, or a decision on it began, just now.
    """
    by = await asyncio.to_thread(authorise, store, caller, Action.ASSIGN_TASK, door)
    row = await _open_task(store, task_id)
    if row.claimed_by == to:
        return await claim_of(store, task_id)
    await _require_may_work(store, to, task_of(row), to)
    await _change(store, row, holder=to, change=ClaimChange.ASSIGNED, by=by.actor, reason=reason)
    return await claim_of(store, task_id)


async def reassign_tasks(
    store: RecordStore, *, caller: Principal, door: Door, leaver: str, to: str | None, reason: str
) -> list[Moved]:
    """Move every open task `leaver` holds: to `to` where they may decide it, back to nobody
    otherwise (or when `to` is None), as a manager (`reassign_tasks`).

    A task that changed hands meanwhile, or on which a decision is being sent, is left as it
    is: it is no longer the leaver's to move.

    Raises:
        NotPermitted: The permission table refuses `reassign_tasks`.
        ClaimRefused: NOT_ALLOWED when `to` is not an active member of staff.
    """
    by = await asyncio.to_thread(authorise, store, caller, Action.REASSIGN_TASKS, door)
    taker = await asyncio.to_thread(colleague, store, to) if to else None
    if to and (taker is None or not taker.active):
        raise ClaimRefused(Refused.NOT_ALLOWED, f"tasks: {to} is not an active member of staff")
    moved = []
    for row in await asyncio.to_thread(store.tasks_held_by, leaver):
        holder = to if taker is not None and may_work(taker, task_of(row)) else None
        change = ClaimChange.REASSIGNED if holder else ClaimChange.UNCLAIMED
        done = await asyncio.to_thread(
            store.change_holder,
            row.task_id,
            expected=leaver,
            holder=holder,
            change=change,
            by=by.actor,
            at=datetime.now(UTC),
            reason=reason,
        )
        if done:
            moved.append(Moved(task_id=row.task_id, party_id=row.party_id, holder=holder))
    return moved


async def eligible_colleagues(store: RecordStore, task: HumanTask) -> list[str]:
    """The active staff who may work `task` now (and so may be assigned it), by id."""
    staff = await asyncio.to_thread(store.list_staff, active_only=True)
    return [s.staff_id for s in staff if may_work(colleague_of(s), task)]


async def _task(store: RecordStore, task_id: str) -> TaskRow:
    try:
        return await load_task(store, task_id)
    except DecisionRefused as err:
        raise ClaimRefused(err.why, err.message) from None


def _require_open(row: TaskRow) -> None:
    if row.status != TaskStatus.OPEN.value:
        raise ClaimRefused(Refused.NOT_OPEN, f"tasks: task {row.task_id} is {row.status}: nobody works it any more")


async def _open_task(store: RecordStore, task_id: str) -> TaskRow:
    row = await _task(store, task_id)
    _require_open(row)
    return row


async def _require_may_work(store: RecordStore, staff_id: str, task: HumanTask, who: str) -> None:
    found = await asyncio.to_thread(colleague, store, staff_id)
    if found is None or not may_work(found, task):
        raise ClaimRefused(
            Refused.NOT_ALLOWED,
            f"tasks: {who} may not work task {task.task_id}: it is for someone active who holds one of "
            f"{', '.join(r.value for r in task.deciding_roles())} and has no conflict of interest in it",
        )


async def _change(
    store: RecordStore, row: TaskRow, *, holder: str | None, change: ClaimChange, by: str, reason: str = ""
) -> None:
    done = await asyncio.to_thread(
        store.change_holder,
        row.task_id,
        expected=row.claimed_by,
        holder=holder,
        change=change,
        by=by,
        at=datetime.now(UTC),
        reason=reason,
    )
    if not done:
        raise ClaimRefused(
            Refused.CLAIMED,
            f"tasks: task {row.task_id} changed hands, was decided, or a decision on it is being recorded, "
            "just now: open it again to see who has it",
        )
