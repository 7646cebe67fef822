"""The task list: open tasks, and who may decide them now."""

from datetime import datetime

from sqlmodel import col, select

from policy.state import HumanTask
from policy.tasks import may_decide
from policy.vocabulary import Role, TaskKind, TaskStatus
from records.staff import StaffDirectory
from records.tables import TaskRow


class TaskListing(HumanTask):
    """An open task as the task list shows it: the `HumanTask` and its party."""

    party_id: str


class TaskList(StaffDirectory):
    """Open tasks, filtered by role, person (four eyes included), kind, party and due date."""

    def task_listing(self, task_id: str) -> TaskListing | None:
        """One task in any status, as the workflow last saved it, with its party id; None if unknown."""
        found = self._rows(select(TaskRow.party_id, TaskRow.data).where(TaskRow.task_id == task_id))
        return TaskListing.model_validate({**found[0][1], "party_id": found[0][0]}) if found else None

    def open_tasks(
        self,
        *,
        role: Role | None = None,
        person: str | None = None,
        kind: TaskKind | None = None,
        party_id: str | None = None,
        due_before: datetime | None = None,
    ) -> list[TaskListing]:
        """The task list: open tasks, soonest due first (tasks not yet planned last).

        Args:
            role: Only tasks this role may decide now: a candidate role, or an
                escalation role once the task escalated (`HumanTask.deciding_roles`).
            person: Only tasks this member of staff may decide: active, holding
                one of the deciding roles, and not excluded (four eyes). An
                unknown or inactive person has none.
            kind: Only tasks of this kind.
            party_id: Only this party's tasks.
            due_before: Only tasks due before this instant (planned tasks only).

        Returns:
            Each task as the workflow last saved it, with its party id.
        """
        query = select(TaskRow.party_id, TaskRow.data).where(TaskRow.status == TaskStatus.OPEN.value)
        if kind is not None:
            query = query.where(TaskRow.kind == TaskKind(kind).value)
        if party_id is not None:
            query = query.where(TaskRow.party_id == party_id)
        if due_before is not None:
            query = query.where(col(TaskRow.due_at) < due_before)
        query = query.order_by(col(TaskRow.due_at).is_(None), col(TaskRow.due_at), col(TaskRow.seq))
        listed = [TaskListing.model_validate({**data, "party_id": pid}) for pid, data in self._rows(query)]
        if role is not None:
            listed = [t for t in listed if Role(role) in t.deciding_roles()]
        if person is not None:
            staff = self.staff(person)
            held = staff.roles if staff is not None and staff.active else []
            listed = [t for t in listed if may_decide(person, held, t.deciding_roles(), t.excluded_staff)]
        return listed
