"""The task list: open tasks, and who may decide them now.

Every filter, the order, the page and the count are the database's: a body
with 100,000 parties has thousands of open tasks, and a page of 100 must not
read them all (issue 30). The partial indexes of open tasks (migration 0016)
serve each order; who may decide a task is read from its `deciding_roles` and
`excluded_staff` columns (JSON lists, kept with each save of the task).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, cast, col, select

from policy.state import HumanTask
from policy.vocabulary import Role, TaskKind, TaskStatus
from records.staff import StaffDirectory
from records.tables import TaskRow


class TaskListing(HumanTask):
    """An open task as the task list shows it: the `HumanTask` and its party."""

    party_id: str


class TaskSort(StrEnum):
    """The orders the task list comes in; each breaks ties by the order the tasks were opened."""

    DUE = "due"  # soonest due first, tasks not yet planned last
    NEWEST = "newest"  # the latest opened first
    OLDEST = "oldest"  # the first opened first


@dataclass(frozen=True)
class TaskFilter:
    """Which open tasks to list; every field given narrows the list.

    Attributes:
        role: Only tasks this role may decide now: a candidate role, or an
            escalation role once the task escalated (`HumanTask.deciding_roles`).
        person: Only tasks this member of staff may decide: active, holding
            one of the deciding roles, and not excluded (four eyes). An
            unknown or inactive person has none.
        kind: Only tasks of this kind.
        party_id: Only this party's tasks.
        due_before: Only tasks due before this instant (planned tasks only).
        overdue: True: only tasks overdue (past their escalation's due date,
            `HumanTask.overdue_since`); False: only those not overdue.
        claimed_by: Only tasks this member of staff holds (records.task_claims).
        claimed: True: only tasks someone holds; False: only those nobody holds.
    """

    role: Role | None = None
    person: str | None = None
    kind: TaskKind | None = None
    party_id: str | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    claimed_by: str | None = None
    claimed: bool | None = None


class TaskPage(NamedTuple):
    """One page of the task list, and how many tasks the filter matches in all."""

    tasks: list[TaskListing]
    total: int


class TaskList(StaffDirectory):
    """Open tasks, filtered by role, person (four eyes included), kind, party, due date, overdue and holder."""

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
        overdue: bool | None = None,
        sort: TaskSort = TaskSort.DUE,
    ) -> list[TaskListing]:
        """Every open task the filter matches (see `TaskFilter`), in `sort` order (soonest due first).

        Returns:
            Each task as the workflow last saved it, with its party id.
        """
        where = TaskFilter(
            role=role, person=person, kind=kind, party_id=party_id, due_before=due_before, overdue=overdue
        )
        return self._listings(where, sort, limit=None, offset=0)

    def open_task_page(
        self, where: TaskFilter, *, sort: TaskSort = TaskSort.DUE, limit: int, offset: int = 0
    ) -> TaskPage:
        """One page of the open tasks the filter matches, and how many match in all.

        Args:
            where: Which tasks.
            sort: Their order.
            limit: At most this many tasks on the page.
            offset: Tasks in this order skipped before the page.
        """
        return TaskPage(self._listings(where, sort, limit=limit, offset=offset), self.count_open_tasks(where))

    def count_open_tasks(self, where: TaskFilter) -> int:
        """How many open tasks the filter matches."""
        with Session(self._engine) as session:
            return session.exec(select(func.count()).select_from(TaskRow).where(*self._conditions(where))).one()

    def _listings(self, where: TaskFilter, sort: TaskSort, *, limit: int | None, offset: int) -> list[TaskListing]:
        query = select(TaskRow.party_id, TaskRow.data).where(*self._conditions(where)).order_by(*_ORDER[sort])
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return [TaskListing.model_validate({**data, "party_id": pid}) for pid, data in self._rows(query)]

    def _conditions(self, where: TaskFilter) -> list[ColumnElement[bool]]:
        # `status = 'open'` as the partial indexes say it, so the planner can use them.
        conditions: list[ColumnElement[bool]] = [col(TaskRow.status) == TaskStatus.OPEN.value]
        if where.kind is not None:
            conditions.append(col(TaskRow.kind) == TaskKind(where.kind).value)
        if where.party_id is not None:
            conditions.append(col(TaskRow.party_id) == where.party_id)
        if where.due_before is not None:
            conditions.append(col(TaskRow.due_at) < where.due_before)
        if where.overdue is not None:
            overdue_since = col(TaskRow.overdue_since)
            conditions.append(overdue_since.is_not(None) if where.overdue else overdue_since.is_(None))
        if where.claimed_by is not None:
            conditions.append(col(TaskRow.claimed_by) == where.claimed_by)
        if where.claimed is not None:
            holder = col(TaskRow.claimed_by)
            conditions.append(holder.is_not(None) if where.claimed else holder.is_(None))
        if where.role is not None:
            conditions.append(self._holds(TaskRow.deciding_roles, Role(where.role).value))
        if where.person is not None:
            conditions.append(self._may_decide(where.person))
        return conditions

    def _may_decide(self, person: str) -> ColumnElement[bool]:
        """`policy.tasks.may_decide` for one person, as SQL: not excluded, and holding a deciding role."""
        staff = self.staff(person)
        held = staff.roles if staff is not None and staff.active else []
        if not held:
            return false()
        return and_(
            or_(*(self._holds(TaskRow.deciding_roles, Role(r).value) for r in held)),
            not_(self._holds(TaskRow.excluded_staff, person)),
        )

    def _holds(self, column: Any, value: str) -> ColumnElement[bool]:
        """Whether the JSON list in `column` holds `value` (each database's own JSON operator)."""
        if self._engine.dialect.name == "postgresql":
            return cast(column, JSONB).contains([value])
        each = func.json_each(column).table_valued("value")
        return exists(select(true()).select_from(each).where(each.c.value == value))


# Each order ends on `seq`, the order the tasks were opened in: a page boundary never splits ties
# differently from one request to the next. NULLS LAST is PostgreSQL's own ascending order, so the
# partial index on (due_at, seq) serves it as it stands.
_ORDER: dict[TaskSort, tuple[Any, ...]] = {
    TaskSort.DUE: (col(TaskRow.due_at).asc().nulls_last(), col(TaskRow.seq)),
    TaskSort.NEWEST: (col(TaskRow.created_at).desc(), col(TaskRow.seq).desc()),
    TaskSort.OLDEST: (col(TaskRow.created_at), col(TaskRow.seq)),
}
