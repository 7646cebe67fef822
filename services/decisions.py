"""Deciding a task: the one path the CLI, the HTTP API and the inbox all take.

The service checks what the workflow cannot: the task is known; the
signed-in principal may decide that kind of task (the permission table,
services.acting), as themselves or, for a case system, for a member of
staff its account acts for; and the person holds the role they decide in,
per the staff list. It makes the decision's id when the caller has none,
and sends it sealed as that person. The workflow then checks the seal, that
the role may decide this task, conflicts of interest, the outcome and its
reason; its refusals arrive as `WorkflowUpdateFailedError`.

A decision on an open task that someone else has claimed is refused while their
claim binds (policy.claims: not once they may no longer decide it, nor once the
task escalated after the claim). Before it is sent, the decision takes the
task's row (records.task_claims), so no claim or assignment races it.
"""

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from client.door import Acting
from client.parties import PartyClient
from policy.claims import claim_binds
from policy.fields import Door, StaffId
from policy.messages import TaskDecision
from policy.permissions import DECIDE_TASK
from policy.replies import TaskOutcomeReply
from policy.state import HumanTask
from policy.tasks import TASK_RULES
from policy.vocabulary import Role, SupportOption, TaskOutcome, TaskStatus
from records.store import RecordStore
from records.tables import StaffRow, TaskRow
from services.acting import Principal, authorise
from services.message_ids import IdKind, claim
from services.staff import StaffCheckFailed, colleague, require_active, require_role


class DecisionForm(BaseModel):
    """A decision on a task as a member of staff sends it; who decides is the
    signed-in person, and when is now."""

    model_config = ConfigDict(extra="forbid")

    decided_by: StaffId | None = Field(
        default=None,
        description="who decides: default, and for a member of staff always, the signed-in person; "
        "a case system names the member of staff it acts for, where its account allows",
    )
    outcome: TaskOutcome
    role: Role | None = Field(
        default=None,
        description="the role they decide in; default: the first role they hold that may decide the task now",
    )
    reason: str = Field(default="", max_length=4000, description="why; required to reject, lift, step up or recuse")
    police_referral: StrictBool | None = Field(default=None, description="R15: required on a zero-tolerance review")
    support_offered: list[SupportOption] = Field(
        default_factory=list, max_length=len(SupportOption), description="R18: on colleague support"
    )


class Refused(StrEnum):
    """Why the service refused a decision before sending it; each door maps it
    to its own answer (an HTTP status, an exit code, a message on the page)."""

    UNKNOWN_TASK = "unknown_task"
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"
    # Someone else works the task (a claim that binds), or another decision on it is being sent.
    CLAIMED = "claimed"
    # A claim or an assignment on a task that is no longer open.
    NOT_OPEN = "not_open"


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
    caller: Principal,
    door: Door,
    task_id: str,
    form: DecisionForm,
    decision_id: str | None = None,
) -> TaskOutcomeReply:
    """Send the decision `caller` makes (or carries) on a task, checked as `prepare_decision` checks it.

    Raises:
        NotPermitted, DecisionRefused: As `prepare_decision` does; nothing is sent.
        IdOfAnotherParty: `decision_id` is another party's (services.message_ids); nothing is sent.
    """
    decision, by = await prepare_decision(
        store, caller=caller, door=door, task_id=task_id, form=form, decision_id=decision_id
    )
    await claim(store, IdKind.DECISION, decision.decision_id, decision.party_id)
    row = await load_task(store, task_id)
    if row.status != TaskStatus.OPEN.value:
        # Nothing can change hands on a closed task: the workflow answers (a duplicate, or why not).
        return await parties.decide_task(decision, by)
    await _take_for_decision(store, row, by.actor)
    try:
        return await parties.decide_task(decision, by)
    finally:
        await asyncio.to_thread(store.end_deciding, task_id, by.actor)


async def _take_for_decision(store: RecordStore, row: TaskRow, staff_id: str) -> None:
    """Take an open task's row for `staff_id`'s decision, unless someone else's claim binds.

    Raises:
        DecisionRefused: CLAIMED when another's claim binds, or the task changed hands (or
            another decision on it began) since it was read.
    """
    holder = row.claimed_by
    if holder is not None and holder != staff_id:
        on_file = await asyncio.to_thread(colleague, store, holder)
        if claim_binds(task_of(row), on_file, row.claimed_at):
            raise DecisionRefused(
                Refused.CLAIMED,
                f"tasks: task {row.task_id} is claimed by {holder}, so only they may decide it now; ask them to "
                "give it back, or a manager to assign it to you",
            )
    taken = await asyncio.to_thread(store.begin_deciding, row.task_id, staff_id, expected=holder, at=datetime.now(UTC))
    if not taken:
        raise DecisionRefused(
            Refused.CLAIMED,
            f"tasks: task {row.task_id} changed hands, or another decision on it is being recorded, just now: "
            "open it again to see who has it",
        )


async def prepare_decision(
    store: RecordStore,
    *,
    caller: Principal,
    door: Door,
    task_id: str,
    form: DecisionForm,
    decision_id: str | None = None,
) -> tuple[TaskDecision, Acting]:
    """The decision on a task, and who makes it, once the permission table allows it and
    the person is shown to hold the role they decide in.

    Args:
        store: The records database: the task's party and the staff list.
        caller: Who signed in: the decision's `decided_by`, or the case system carrying
            the decision of the member of staff `form.decided_by` names.
        door: Where they signed in.
        task_id: The task.
        form: What they decided (and, optionally, in which role).
        decision_id: The idempotency key; a new one if None.

    Raises:
        NotPermitted: The permission table refuses (the rule named).
        DecisionRefused: UNKNOWN_TASK; NOT_ALLOWED when they are not active staff
            holding the role (or hold none that may decide the task now); INVALID
            for a malformed decision id.
    """
    row = await load_task(store, task_id)
    by = await asyncio.to_thread(authorise, store, caller, DECIDE_TASK[task_of(row).kind], door, form.decided_by)
    staff_id = by.actor
    try:
        if form.role is not None:
            await asyncio.to_thread(require_role, store, staff_id, form.role)
            role = form.role
        else:
            role = await _first_role(store, staff_id, task_of(row))
    except StaffCheckFailed as err:
        raise DecisionRefused(Refused.NOT_ALLOWED, str(err)) from None
    try:
        decision = TaskDecision(
            decision_id=decision_id or new_decision_id(),
            party_id=row.party_id,
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
    # Sealed in the role decided in: the workflow checks it may decide this task.
    return decision, dataclasses.replace(by, role=role)


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
