"""Who works each open task (policy.claims), on the task's row, and the claim log.

Every change of holder is one compare-and-set on the task's row, in the same
transaction as its line in the claim log: it names the holder it expects, and
changes nothing if another change got there first, the task is no longer
open, or a decision on it is being sent. A decision takes the row first
(`begin_deciding`, naming the holder it was checked against), so a claim or an
assignment cannot slip in between the check and the workflow's answer, and
none can follow the decision: by the time the workflow answers, the task's row
says it is no longer open. This is why claims need no message to the party's
workflow: the records database orders them against decisions by itself.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select

from policy.claims import ClaimChange
from policy.vocabulary import TaskStatus
from records.base import StoreBase
from records.tables import TaskClaimEventRow, TaskRow

# How long a decision being sent keeps the task from changing hands. The workflow answers a
# decision in seconds; a lock older than this is a door that stopped mid-way (a process
# killed), and must not leave the task stuck.
DECIDING_LOCK = timedelta(minutes=5)


class TaskClaims(StoreBase):
    """Claims on tasks: read, changed by compare-and-set, and their log."""

    def change_holder(
        self,
        task_id: str,
        *,
        expected: str | None,
        holder: str | None,
        change: ClaimChange,
        by: str,
        at: datetime,
        reason: str = "",
    ) -> bool:
        """Give an open task to `holder` (None: to nobody), if `expected` still holds it.

        Args:
            task_id: The task.
            expected: Who the caller saw holding it (None: nobody).
            holder: Who holds it after.
            change: What the log calls the change.
            by: Who made it (the signed-in member of staff).
            at: When.
            reason: Why, in the manager's words (a reassignment).

        Returns:
            False, and nothing written, when someone else changed it first, the task is
            not open, or a decision on it is being sent.
        """
        values: dict[str, Any] = {
            "claimed_by": holder,
            "claimed_at": at if holder is not None else None,
            "assigned_by": by if holder is not None and holder != by else None,
        }
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(TaskRow)
                .where(self._open_and_held_by(task_id, expected), self._not_being_decided(at))
                .values(**values)
            ).rowcount
            if changed != 1:
                return False
            party_id = connection.execute(select(TaskRow.party_id).where(TaskRow.task_id == task_id)).scalar_one()
            connection.execute(
                TaskClaimEventRow.__table__.insert(),  # type: ignore[attr-defined]
                {
                    "task_id": task_id,
                    "party_id": party_id,
                    "at": at,
                    "change": change.value,
                    "changed_by": by,
                    "previous_holder": expected,
                    "holder": holder,
                    "reason": reason,
                },
            )
        return True

    def begin_deciding(self, task_id: str, staff_id: str, *, expected: str | None, at: datetime) -> bool:
        """Take the task's row for a decision `staff_id` is about to send, if `expected` still
        holds the claim (the decision was checked against it), and no other decision is being sent.

        Returns:
            False, and nothing taken, if either changed or the task is not open.
        """
        with self._engine.begin() as connection:
            taken = connection.execute(
                update(TaskRow)
                .where(
                    self._open_and_held_by(task_id, expected),
                    or_(col(TaskRow.deciding_by) == staff_id, self._not_being_decided(at)),
                )
                .values(deciding_by=staff_id, deciding_since=at)
            ).rowcount
        return taken == 1

    def end_deciding(self, task_id: str, staff_id: str) -> None:
        """Let go of the task's row once `staff_id`'s decision is answered (recorded or refused)."""
        with self._engine.begin() as connection:
            connection.execute(
                update(TaskRow)
                .where(col(TaskRow.task_id) == task_id, col(TaskRow.deciding_by) == staff_id)
                .values(deciding_by=None, deciding_since=None)
            )

    def claim_log(self, task_id: str) -> list[TaskClaimEventRow]:
        """Who claimed, gave back, assigned and reassigned the task, oldest first."""
        return self._rows(
            select(TaskClaimEventRow).where(TaskClaimEventRow.task_id == task_id).order_by(col(TaskClaimEventRow.seq))
        )

    def holders(self, task_ids: list[str]) -> dict[str, str]:
        """Who works each of these tasks, for those someone works (a page of the task list)."""
        if not task_ids:
            return {}
        found = self._rows(
            select(TaskRow.task_id, TaskRow.claimed_by).where(
                col(TaskRow.task_id).in_(task_ids), col(TaskRow.claimed_by).is_not(None)
            )
        )
        return dict(found)

    def holding(self) -> dict[str, int]:
        """Who works open tasks now, and how many each: whose tasks a manager may move."""
        found = self._rows(
            select(TaskRow.claimed_by, func.count())
            .where(TaskRow.status == TaskStatus.OPEN.value, col(TaskRow.claimed_by).is_not(None))
            .group_by(col(TaskRow.claimed_by))
            .order_by(col(TaskRow.claimed_by))
        )
        return dict(found)

    def tasks_held_by(self, staff_id: str) -> list[TaskRow]:
        """The open tasks `staff_id` holds, oldest first: a leaver's, to reassign."""
        return self._rows(
            select(TaskRow)
            .where(TaskRow.status == TaskStatus.OPEN.value, col(TaskRow.claimed_by) == staff_id)
            .order_by(col(TaskRow.seq))
        )

    @staticmethod
    def _open_and_held_by(task_id: str, holder: str | None) -> Any:
        held = col(TaskRow.claimed_by).is_(None) if holder is None else col(TaskRow.claimed_by) == holder
        return and_(col(TaskRow.task_id) == task_id, col(TaskRow.status) == TaskStatus.OPEN.value, held)

    @staticmethod
    def _not_being_decided(at: datetime) -> Any:
        return or_(col(TaskRow.deciding_by).is_(None), col(TaskRow.deciding_since) < at - DECIDING_LOCK)
