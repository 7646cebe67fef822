"""Deciding a task: the one path the CLI, the HTTP API and the inbox all take.

The service checks what the workflow cannot (the task is known, the person
holds the role they decide in, per the staff list), makes the decision's id
when the caller has none, and sends it. The workflow then checks the role
may decide this task, conflicts of interest, the outcome and its reason; its
refusals arrive as `WorkflowUpdateFailedError`.
"""

import asyncio
import uuid
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from client.parties import PartyClient
from policy.messages import TaskDecision
from policy.replies import TaskOutcomeReply
from policy.state import HumanTask
from policy.tasks import TASK_RULES
from policy.vocabulary import Role, SupportOption, TaskOutcome
from records.store import RecordStore
from records.tables import StaffRow, TaskRow
from services.staff import StaffCheckFailed, require_active, require_role


class DecisionForm(BaseModel):
    """A decision on a task as a member of staff sends it; who decides is given
    apart (the signed-in person, or the CLI's --by), and when is now."""

    model_config = ConfigDict(extra="forbid")

    outcome: TaskOutcome
    role: Role | None = Field(
        default=None,
        description="the role they decide in; default: the first role they hold that may decide the task now",
    )
    reason: str = Field(default="", max_length=4000, description="why; required to reject, lift, step up or recuse")
    police_referral: StrictBool | None = Field(default=None, description="R15: required on a zero-tolerance review")
    support_offered: list[SupportOption] = Field(default_factory=list, description="R18: on colleague support")


class Refused(StrEnum):
    """Why the service refused a decision before sending it; each door maps it
    to its own answer (an HTTP status, an exit code, a message on the page)."""

    UNKNOWN_TASK = "unknown_task"
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"


class DecisionRefused(Exception):
    def __init__(self, why: Refused, message: str) -> None:
        super().__init__(message)
        self.why = why
        self.message = message


def new_decision_id() -> str:
    """A fresh idempotency key, for a decision whose sender gave none."""
    return f"dec-{uuid.uuid4().hex}"


def task_of(row: TaskRow) -> HumanTask:
    """The task as the workflow last saved it (the row's columns may predate a migration)."""
    return HumanTask.model_validate(row.data)


def roles_to_decide(staff: StaffRow, task: HumanTask) -> list[Role]:
    """The roles `staff` holds that may decide `task` now, in the task's order."""
    return [r for r in task.deciding_roles() if r.value in staff.roles]


def allowed_outcomes(task: HumanTask) -> list[TaskOutcome]:
    """The outcomes a task of this kind has, in the vocabulary's order."""
    allowed = TASK_RULES[task.kind].outcomes
    return [o for o in TaskOutcome if o in allowed]


async def load_task(store: RecordStore, task_id: str) -> TaskRow:
    """The task's row in the records database.

    Raises:
        DecisionRefused: UNKNOWN_TASK when the records database has no such task.
    """
    row = await asyncio.to_thread(store.task, task_id)
    if row is None:
        raise DecisionRefused(Refused.UNKNOWN_TASK, f"no task {task_id!r} in the records database")
    return row


async def decide(
    parties: PartyClient,
    store: RecordStore,
    *,
    staff_id: str,
    task_id: str,
    form: DecisionForm,
    decision_id: str | None = None,
) -> TaskOutcomeReply:
    """Send `staff_id`'s decision on a task, checked as `prepare_decision` checks it.

    Raises:
        DecisionRefused: As `prepare_decision` does; nothing is sent.
    """
    decision = await prepare_decision(store, staff_id=staff_id, task_id=task_id, form=form, decision_id=decision_id)
    return await parties.decide_task(decision)


async def prepare_decision(
    store: RecordStore,
    *,
    staff_id: str,
    task_id: str,
    form: DecisionForm,
    decision_id: str | None = None,
    party_id: str | None = None,
) -> TaskDecision:
    """`staff_id`'s decision on a task, once they are shown to hold the role they decide in.

    Args:
        store: The records database: the task's party and the staff list.
        staff_id: Who decides: the decision's `decided_by`.
        task_id: The task.
        form: What they decided (and, optionally, in which role).
        decision_id: The idempotency key; a new one if None.
        party_id: The task's party, for a task the records database does not
            show yet (the workflow writes it moments after opening it).

    Raises:
        DecisionRefused: UNKNOWN_TASK; NOT_ALLOWED when they are not active
            staff holding the role (or hold none that may decide the task
            now); INVALID for a malformed decision id or another party's task.
    """
    try:
        if form.role is not None:
            await asyncio.to_thread(require_role, store, staff_id, form.role)
        row = await load_task(store, task_id) if party_id is None else await asyncio.to_thread(store.task, task_id)
        if form.role is not None:
            role = form.role
        elif row is not None:
            role = await _first_role(store, staff_id, task_of(row))
        else:
            raise DecisionRefused(Refused.UNKNOWN_TASK, f"no task {task_id!r} in the records database: give the role")
    except StaffCheckFailed as err:
        raise DecisionRefused(Refused.NOT_ALLOWED, str(err)) from None
    if row is not None and party_id is not None and party_id != row.party_id:
        raise DecisionRefused(Refused.INVALID, f"task {task_id!r} belongs to party {row.party_id!r}, not {party_id!r}")
    try:
        return TaskDecision(
            decision_id=decision_id or new_decision_id(),
            party_id=row.party_id if row is not None else party_id,
            task_id=task_id,
            decided_by=staff_id,
            role=role,
            outcome=form.outcome,
            reason=form.reason,
            police_referral=form.police_referral,
            support_offered=form.support_offered,
            decided_at=datetime.now(UTC),
        )
    except ValidationError as err:
        # The form was validated already: only the decision id can be wrong here.
        problems = "; ".join(e["msg"] for e in err.errors())
        raise DecisionRefused(Refused.INVALID, f"decision id {decision_id!r}: {problems}") from None


async def _first_role(store: RecordStore, staff_id: str, task: HumanTask) -> Role:
    """The first role `staff_id` holds that may decide `task` now.

    Raises:
        StaffCheckFailed: If they are not active staff, or hold none of those roles.
    """
    staff = await asyncio.to_thread(require_active, store, staff_id)
    held = roles_to_decide(staff, task)
    if not held:
        needed = ", ".join(r.value for r in task.deciding_roles())
        raise StaffCheckFailed(
            f"{staff_id!r} holds none of the roles that may decide task {task.task_id} now ({needed})"
        )
    return held[0]
