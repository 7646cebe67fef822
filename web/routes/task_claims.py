"""Who works a task: claim, give back, assign, and reassign a leaver's tasks (services.task_claims)."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from policy.fields import MESSAGE_ID_PATTERN
from policy.fields import Door as Entrance
from services.decisions import DecisionRefused
from services.task_claims import (
    Assignment,
    Reassignment,
    TaskClaim,
    assign_task,
    claim_of,
    claim_task,
    reassign_tasks,
    unclaim_task,
)
from web.deps import Caller, Door
from web.errors import ERRORS, Problem, decision_refused, with_body

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERRORS)

TaskId = Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)]
CLAIM_ANSWERS: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "no such task"},
    409: {
        "model": Problem,
        "description": "the task is not open, someone else's claim holds it, or it changed hands (or a decision "
        "on it began) just now",
    },
}


class MovedTask(BaseModel):
    task_id: str
    party_id: str
    holder: str | None = Field(description="who holds it now; null: back to nobody")


class Reassigned(BaseModel):
    moved: list[MovedTask]


@router.get("/{task_id}/claim", responses=CLAIM_ANSWERS, summary="Who works a task, and its claim log")
async def read_claim(task_id: TaskId, door: Door, caller: Caller) -> TaskClaim:
    try:
        return await claim_of(door.store, task_id)
    except DecisionRefused as err:
        raise decision_refused(err) from None


@router.post("/{task_id}/claim", responses=CLAIM_ANSWERS, summary="Claim a task: work on it as the signed-in person")
async def claim(task_id: TaskId, door: Door, caller: Caller) -> TaskClaim:
    """Only someone who may decide the task now may claim it (403 otherwise). While the claim
    holds (policy.claims), a decision on the task by anyone else is refused (409). Claiming a
    task one holds already changes nothing."""
    try:
        return await claim_task(door.store, caller=caller, door=Entrance.API, task_id=task_id)
    except DecisionRefused as err:
        raise decision_refused(err) from None


@router.delete("/{task_id}/claim", responses=CLAIM_ANSWERS, summary="Give a task back")
async def unclaim(task_id: TaskId, door: Door, caller: Caller) -> TaskClaim:
    """One's own claim (`claim_task`), or, for a manager, someone else's (`assign_task`)."""
    try:
        return await unclaim_task(door.store, caller=caller, door=Entrance.API, task_id=task_id)
    except DecisionRefused as err:
        raise decision_refused(err) from None


@router.post(
    "/{task_id}/assignment",
    responses={**CLAIM_ANSWERS, **with_body()},
    summary="Assign a task to a colleague who may decide it",
)
async def assign(task_id: TaskId, body: Assignment, door: Door, caller: Caller) -> TaskClaim:
    """As a manager (`assign_task`); `to` must be active staff who may decide the task now,
    with no conflict of interest (403 otherwise)."""
    try:
        return await assign_task(
            door.store, caller=caller, door=Entrance.API, task_id=task_id, to=body.to, reason=body.reason
        )
    except DecisionRefused as err:
        raise decision_refused(err) from None


@router.post(
    "/reassignments",
    responses={403: {"model": Problem, "description": "not a manager, or `to` is not active staff"}, **with_body()},
    summary="Move a leaver's tasks to a colleague",
)
async def reassign(body: Reassignment, door: Door, caller: Caller) -> Reassigned:
    """As a manager (`reassign_tasks`): every open task `from_staff` holds goes to `to` where
    they may decide it, and back to nobody otherwise; each move is on the task's claim log."""
    try:
        moved = await reassign_tasks(
            door.store, caller=caller, door=Entrance.API, leaver=body.from_staff, to=body.to, reason=body.reason
        )
    except DecisionRefused as err:
        raise decision_refused(err) from None
    return Reassigned(moved=[MovedTask(task_id=m.task_id, party_id=m.party_id, holder=m.holder) for m in moved])
