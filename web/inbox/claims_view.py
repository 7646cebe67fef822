"""What the task page shows of who works a task, and what the signed-in person may do about it:
claim it, give it back, take it off someone, or assign it (services.task_claims decides; this
only offers what the permission table and the claim rules would allow)."""

from typing import Any

from policy.claims import may_work
from policy.permissions import Action, may
from policy.vocabulary import Role, TaskStatus
from records.store import RecordStore
from records.tables import StaffRow, TaskRow
from services.decisions import task_of
from services.staff import colleague_of
from services.task_claims import claim_of, eligible_colleagues


async def claim_context(store: RecordStore, staff: StaffRow, row: TaskRow) -> dict[str, Any]:
    """The task page's context for who works the task (see task.html's "Who is working on it")."""
    task = task_of(row)
    claim = await claim_of(store, row.task_id)
    roles = {Role(r) for r in staff.roles}
    is_open = task.status == TaskStatus.OPEN
    mine = claim.claimed_by == staff.staff_id
    may_assign = is_open and may(roles, Action.ASSIGN_TASK)
    names = {s.staff_id: s.name for s in store.list_staff()}
    assignable = await eligible_colleagues(store, task) if may_assign else []
    return {
        "claim": claim,
        "staff_names": names,
        "holds_it": mine,
        # Someone else works it, and their claim holds back a decision by anyone else.
        "held_by_other": claim.binding and not mine,
        "may_claim": is_open
        and not mine
        and not claim.binding
        and may(roles, Action.CLAIM_TASK)
        and may_work(colleague_of(staff), task),
        "may_unclaim": is_open and claim.claimed_by is not None and (mine or may_assign),
        "assignable": [
            (staff_id, names.get(staff_id, staff_id)) for staff_id in assignable if staff_id != claim.claimed_by
        ],
    }
