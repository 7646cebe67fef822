"""Who works a task: claims, assignment, and when a claim holds a decision back.

A claim says which one person works an open task now, so that two managers do
not both prepare the same decision, and everyone else sees who has it. It is a
working arrangement between staff, not a fact of the party's file: the policy
says who may decide a task (policy.tasks, policy.permissions), never who is
working on it. So a claim lives in the records database only (the task's row
and its claim log, records.task_claims), and sends nothing to the party's
workflow: claiming adds no event to a history meant to run for years, and works
while Temporal is away.

A claim holds back a decision by anyone else, but never past the policy's own
safeguards against a task left undecided (no silent auto-approval, escalation
when nobody decides by the due date):

- a claim by someone who may no longer decide the task (they left, lost the
  role, or are excluded for a conflict of interest) does not bind;
- a claim made before the task escalated does not bind once it has: escalation
  means the task was not decided in time, and the policy then opens it to the
  alternates (R7) or the managers (R16), whom a stale claim must not shut out.

Pure: no clock, no database.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from policy.permissions import DECIDE_TASK, PERMISSIONS
from policy.state import HumanTask
from policy.tasks import may_decide
from policy.vocabulary import Role


class ClaimChange(StrEnum):
    """What happened to who works a task, as its claim log records it."""

    CLAIMED = "claimed"  # someone took it for themselves
    UNCLAIMED = "unclaimed"  # its holder gave it back, or a manager took it off them
    ASSIGNED = "assigned"  # a manager gave it to a colleague
    REASSIGNED = "reassigned"  # a manager moved it from a leaver (or someone away) to a colleague


@dataclass(frozen=True)
class Colleague:
    """A member of staff as the claim rules need them: who, the roles held, and whether active."""

    staff_id: str
    roles: Collection[str]
    active: bool


def may_work(colleague: Colleague, task: HumanTask) -> bool:
    """Whether `colleague` may claim `task`, or be assigned it: they could decide it now.

    The roles that count are those the permission table lets decide this kind of
    task (policy.permissions.DECIDE_TASK) and that the task admits now (its
    candidates, and its escalation roles once it escalated); someone excluded
    for a conflict of interest (four eyes) may not.
    """
    if not colleague.active:
        return False
    allowed = PERMISSIONS[DECIDE_TASK[task.kind]].roles
    held = [r for r in colleague.roles if Role(r) in allowed]
    return may_decide(colleague.staff_id, held, task.deciding_roles(), task.excluded_staff)


def claim_binds(task: HumanTask, holder: Colleague | None, claimed_at: datetime | None) -> bool:
    """Whether a claim holds back a decision on `task` by anyone but its holder.

    Args:
        task: The task as the workflow last saved it.
        holder: Who holds the claim (None: nobody, or someone no longer on the staff list).
        claimed_at: When they got it.

    Returns:
        False when nobody holds it, when the holder may no longer decide it, or when the
        task escalated after it was claimed (see the module's docstring).
    """
    if holder is None or claimed_at is None or not may_work(holder, task):
        return False
    return task.escalated_at is None or task.escalated_at <= claimed_at


def why_not_binding(task: HumanTask, holder: Colleague | None, claimed_at: datetime | None) -> str | None:
    """In plain words, why a claim that is on file no longer holds a decision back; None if it does
    (or if there is no claim)."""
    if holder is None or claimed_at is None or claim_binds(task, holder, claimed_at):
        return None
    if not holder.active:
        return f"{holder.staff_id} is no longer an active member of staff"
    if not may_work(holder, task):
        return f"{holder.staff_id} may no longer decide this task"
    return "the task escalated after it was claimed, so anyone who may decide it now may"
