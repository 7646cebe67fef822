"""What the HTTP API and the managers' inbox share: who is signed in, and deciding a task.

Both sit on one `FrontDoor` (the Temporal client module, the records
database and the settings), injected by `starter.api.create_app`, so tests
can hand in the time-skipping server's client and a test database.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from policy.messages import TaskDecision
from policy.state import HumanTask, TaskOutcomeReply
from policy.tasks import TASK_RULES
from policy.vocabulary import Role, SupportOption, TaskOutcome
from records.store import RecordStore
from records.tables import StaffRow, TaskRow
from settings import Settings
from starter.client import PartyClient
from starter.staff import StaffCheckFailed, require_role


@dataclass(frozen=True)
class FrontDoor:
    """The dependencies of every route: one per app, kept on `app.state`."""

    parties: PartyClient
    store: RecordStore
    settings: Settings


def front_door(request: Request) -> FrontDoor:
    return request.app.state.front_door


class NotSignedIn(Exception):
    """No token, an unknown token, or the token of someone no longer active."""


def staff_for(store: RecordStore, token: str | None) -> StaffRow:
    """The active member of staff a bearer token belongs to.

    Raises:
        NotSignedIn: With a message saying what to do.
    """
    if not token:
        raise NotSignedIn("sign in with a bearer token: `ubp staff token STAFF_ID` issues one")
    staff = store.staff_for_token(token)
    if staff is None:
        raise NotSignedIn("unknown token: ask for a new one (`ubp staff token STAFF_ID`)")
    if not staff.active:
        raise NotSignedIn(f"{staff.staff_id!r} is no longer an active member of staff")
    return staff


def form_key(token: str) -> str:
    """The inbox forms' anti-forgery field: derived from the signed-in token, so
    another site cannot fill it in (and nothing extra needs storing)."""
    return hmac.new(token.encode(), b"ubp-inbox-form", hashlib.sha256).hexdigest()


class DecisionForm(BaseModel):
    """A decision on a task as a manager sends it; who decides is the signed-in
    member of staff, and when is now."""

    model_config = ConfigDict(extra="forbid")

    outcome: TaskOutcome
    role: Role | None = Field(
        default=None,
        description="the role they decide in; default: the first role they hold that may decide the task now",
    )
    reason: str = Field(default="", max_length=4000, description="why; required to reject, lift, step up or recuse")
    police_referral: bool | None = Field(default=None, description="R15: required on a zero-tolerance review")
    support_offered: list[SupportOption] = Field(default_factory=list, description="R18: on colleague support")


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


class DecisionRefused(Exception):
    """The front door refuses a decision before sending it; `status_code` says how."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


async def load_task(door: FrontDoor, task_id: str) -> TaskRow:
    row = await run_in_threadpool(door.store.task, task_id)
    if row is None:
        raise DecisionRefused(status.HTTP_404_NOT_FOUND, f"no task {task_id!r} in the records database")
    return row


async def decide(
    door: FrontDoor, staff: StaffRow, task_id: str, form: DecisionForm, decision_id: str | None
) -> TaskOutcomeReply:
    """Send `staff`'s decision on a task, after checking they hold the role they decide in.

    The workflow then checks the role may decide this task, conflicts of
    interest, the outcome and its reason; its refusals arrive as
    `WorkflowUpdateFailedError`.

    Args:
        door: The app's dependencies.
        staff: The signed-in member of staff: the decision's `decided_by`.
        task_id: The task.
        form: What they decided.
        decision_id: The idempotency key; a new one if None.

    Raises:
        DecisionRefused: 404 for an unknown task, 403 when they do not hold the
            role (or hold none that may decide the task), 422 for a bad key.
    """
    row = await load_task(door, task_id)
    role = form.role
    if role is None:
        held = roles_to_decide(staff, task_of(row))
        if not held:
            needed = ", ".join(r.value for r in task_of(row).deciding_roles())
            raise DecisionRefused(
                status.HTTP_403_FORBIDDEN,
                f"{staff.staff_id!r} holds none of the roles that may decide task {task_id} now ({needed})",
            )
        role = held[0]
    try:
        await run_in_threadpool(require_role, door.store, staff.staff_id, role)
    except StaffCheckFailed as err:
        raise DecisionRefused(status.HTTP_403_FORBIDDEN, str(err)) from None
    try:
        decision = TaskDecision(
            decision_id=decision_id or f"dec-{uuid.uuid4().hex}",
            party_id=row.party_id,
            task_id=task_id,
            decided_by=staff.staff_id,
            role=role,
            outcome=form.outcome,
            reason=form.reason,
            police_referral=form.police_referral,
            support_offered=form.support_offered,
            decided_at=datetime.now(UTC),
        )
    except ValidationError as err:
        # Everything else was validated already: only the key can be wrong here.
        problems = "; ".join(e["msg"] for e in err.errors())
        raise DecisionRefused(status.HTTP_422_UNPROCESSABLE_CONTENT, f"Idempotency-Key: {problems}") from None
    return await door.parties.decide_task(decision)


def http_error(err: DecisionRefused | NotSignedIn) -> HTTPException:
    if isinstance(err, NotSignedIn):
        return HTTPException(status.HTTP_401_UNAUTHORIZED, str(err), headers={"WWW-Authenticate": "Bearer"})
    return HTTPException(err.status_code, err.message)
