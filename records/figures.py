"""The figures operators act on, counted from the records database (the API's gauges)."""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from policy.vocabulary import NoticeStatus, RestrictionStatus, TaskKind, TaskStatus
from records.base import StoreBase
from records.tables import NoticeRow, RejectionRow, RestrictionRow, TaskRow


@dataclass(frozen=True)
class Figures:
    """Counts across every party, as they stand now. Each by-kind count has every `TaskKind`."""

    open_tasks: dict[TaskKind, int] = field(default_factory=dict)
    escalated_tasks: dict[TaskKind, int] = field(default_factory=dict)
    overdue_tasks: dict[TaskKind, int] = field(default_factory=dict)
    restrictions_in_force: int = 0
    rejected_messages: int = 0
    queued_notices: int = 0
    undeliverable_notices: int = 0


class OperationalFigures(StoreBase):
    """Counts for the metrics, and whether the database answers."""

    def ping(self) -> None:
        """Ask the database something trivial; raises SQLAlchemyError if it does not answer."""
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def figures(self) -> Figures:
        """Open tasks (escalated, overdue) by kind, restrictions in force, rejected
        messages on file, and notices queued or undeliverable.

        "Overdue" is the workflow's own flag: undecided by the escalation due date.
        """
        with Session(self._snapshot) as session:
            open_tasks = session.exec(
                select(TaskRow.kind, TaskRow.escalated, TaskRow.data).where(TaskRow.status == TaskStatus.OPEN.value)
            ).all()
            in_force = session.exec(
                select(func.count())
                .select_from(RestrictionRow)
                .where(RestrictionRow.status == RestrictionStatus.IN_FORCE.value)
            ).one()
            rejected = session.exec(select(func.count()).select_from(RejectionRow)).one()
            notices = dict(
                session.exec(
                    select(NoticeRow.status, func.count())
                    .where(col(NoticeRow.status).in_([NoticeStatus.QUEUED.value, NoticeStatus.UNDELIVERABLE.value]))
                    .group_by(NoticeRow.status)
                ).all()
            )

        def by_kind(counted: Counter[str]) -> dict[TaskKind, int]:
            return {kind: counted[kind.value] for kind in TaskKind}

        return Figures(
            open_tasks=by_kind(Counter(kind for kind, _, _ in open_tasks)),
            escalated_tasks=by_kind(Counter(kind for kind, escalated, _ in open_tasks if escalated)),
            overdue_tasks=by_kind(Counter(kind for kind, _, data in open_tasks if data.get("overdue_since"))),
            restrictions_in_force=in_force,
            rejected_messages=rejected,
            queued_notices=notices.get(NoticeStatus.QUEUED.value, 0),
            undeliverable_notices=notices.get(NoticeStatus.UNDELIVERABLE.value, 0),
        )
