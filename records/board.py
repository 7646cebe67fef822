"""The board report's counts (R10a), counted by the records database: never a row per party.

Each count is of what the file shows happened in the period, by the instant it was
recorded or decided there (an incident by when it was received, so a late report
changes no period already reported). `policy.report` says what may be shown.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, distinct, func, or_, true
from sqlalchemy import select as select_any
from sqlalchemy.sql import FromClause
from sqlmodel import Session, col, select

from policy.letters import LetterKind
from policy.report import BoardCounts, Bucket
from policy.vocabulary import (
    AdjustmentStatus,
    NoticeKind,
    RestrictionGrounds,
    RestrictionStatus,
    TaskKind,
    TaskOutcome,
)
from records.base import StoreBase
from records.tables import (
    AdjustmentRow,
    AskRow,
    DecisionRow,
    EndedCallRow,
    IncidentRow,
    LetterRow,
    NoticeRow,
    PartyRow,
    RestrictionRow,
    TaskRow,
    WarningRow,
)

# The statuses of a restriction that was put in force at some time (RestrictionEntry.in_force_at).
_STARTED = [RestrictionStatus.IN_FORCE.value, RestrictionStatus.EXPIRED.value, RestrictionStatus.SUPERSEDED.value]
_APPROVAL_OUTCOMES = [TaskOutcome.APPROVE.value, TaskOutcome.REJECT.value]


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _table(model: type) -> Table:
    table: Table = getattr(model, "__table__")  # noqa: B009  (SQLModel sets it on table models only)
    return table


class BoardFigures(StoreBase):
    """The counts behind the board report, for a period [start, end)."""

    def _elements(self, column: Any, path: str | None = None) -> FromClause:
        """The elements of a JSON array column (or of the array at `path` in it), as rows of `value`."""
        if self._engine.dialect.name == "sqlite":
            args = (column,) if path is None else (column, f"$.{path}")
            return func.json_each(*args).table_valued("value")
        array = column if path is None else column.op("->")(path)
        return func.json_array_elements_text(array).table_valued("value")

    def board_counts(self, start: datetime, end: datetime, buckets: Sequence[Bucket]) -> BoardCounts:
        """Every count of the report; the monthly series follow `buckets`."""
        with Session(self._snapshot) as session:

            def count(*where: Any, of: Any = None, join: Any = None) -> int:
                query = select(func.count() if of is None else func.count(distinct(of))).where(*where)
                if join is not None:
                    query = query.select_from(join)
                return int(session.exec(query).one())

            def by_month(column: Any, *where: Any) -> list[int]:
                if not buckets:
                    return []
                sums = [func.sum(case((_within(column, b.start, b.end), 1), else_=0)) for b in buckets]
                row = session.execute(select_any(*sums).where(_within(column, start, end), *where)).one()
                return [int(n or 0) for n in row]

            def grouped(*columns: Any, where: Sequence[Any], join: Any = None) -> dict[Any, int]:
                query = select_any(*columns, func.count()).where(*where).group_by(*columns)
                if join is not None:
                    query = query.select_from(join)
                rows = session.execute(query).all()
                return {tuple(r[:-1]) if len(columns) > 1 else r[0]: int(r[-1]) for r in rows}

            received = _within(IncidentRow.received_at, start, end)
            started = and_(_within(RestrictionRow.starts_at, start, end), col(RestrictionRow.status).in_(_STARTED))
            measures = self._elements(RestrictionRow.measures)
            repeats = self._elements(WarningRow.data, "repeat_incident_ids")
            approvals_decided = grouped(
                DecisionRow.outcome,
                where=[
                    TaskRow.task_id == DecisionRow.task_id,
                    TaskRow.kind == TaskKind.RESTRICTION_APPROVAL.value,
                    _within(DecisionRow.decided_at, start, end),
                    col(DecisionRow.outcome).in_(_APPROVAL_OUTCOMES),
                ],
            )
            ended = func.coalesce(RestrictionRow.ended_at, RestrictionRow.ends_at)
            return BoardCounts(
                incidents_by_behaviour=grouped(IncidentRow.category, IncidentRow.behaviour_code, where=[received]),
                incidents_by_month=by_month(IncidentRow.received_at),
                asks=count(_within(AskRow.asked_at, start, end)),
                calls_ended=count(_within(EndedCallRow.ended_at, start, end)),
                ground_rules_agreed=count(_within(EndedCallRow.ground_rules_agreed_at, start, end)),
                warnings=count(_within(WarningRow.communicated_at, start, end)),
                warnings_by_month=by_month(WarningRow.communicated_at),
                restrictions_by_kind=grouped(
                    PartyRow.kind, where=[started, PartyRow.party_id == RestrictionRow.party_id]
                ),
                restrictions_by_measure=grouped(
                    measures.c.value, where=[started], join=_table(RestrictionRow).join(measures, true())
                ),
                restrictions_by_month=by_month(RestrictionRow.starts_at, col(RestrictionRow.status).in_(_STARTED)),
                in_force_at_end=count(
                    col(RestrictionRow.starts_at) <= end,
                    col(RestrictionRow.status).in_(_STARTED),
                    or_(ended.is_(None), ended > end),
                ),
                warning_repeats=count(
                    received,
                    IncidentRow.incident_id == repeats.c.value,
                    of=IncidentRow.incident_id,
                    join=_table(WarningRow).join(repeats, true()).join(_table(IncidentRow), true()),
                ),
                ends_moved=count(
                    LetterRow.kind == LetterKind.END_MOVED.value, _within(LetterRow.produced_at, start, end)
                ),
                zero_tolerance_stops=count(started, RestrictionRow.grounds == RestrictionGrounds.ZERO_TOLERANCE.value),
                police_referrals=count(
                    TaskRow.task_id == DecisionRow.task_id,
                    TaskRow.kind == TaskKind.ZERO_TOLERANCE_REVIEW.value,
                    _within(DecisionRow.decided_at, start, end),
                    DecisionRow.data["police_referral"].as_boolean() == true(),
                ),
                approvals_requested=count(
                    TaskRow.kind == TaskKind.RESTRICTION_APPROVAL.value, _within(TaskRow.created_at, start, end)
                ),
                approvals_approved=approvals_decided.get(TaskOutcome.APPROVE.value, 0),
                approvals_rejected=approvals_decided.get(TaskOutcome.REJECT.value, 0),
                approvals_escalated=count(
                    TaskRow.task_id == NoticeRow.task_id,
                    TaskRow.kind == TaskKind.RESTRICTION_APPROVAL.value,
                    NoticeRow.kind == NoticeKind.ESCALATED.value,
                    _within(NoticeRow.at, start, end),
                    of=NoticeRow.task_id,
                ),
                overdue_tasks=count(
                    NoticeRow.kind == NoticeKind.OVERDUE.value, _within(NoticeRow.at, start, end), of=NoticeRow.task_id
                ),
                adjustments_requested=count(_within(AdjustmentRow.requested_at, start, end)),
                adjustments_agreed=count(
                    AdjustmentRow.status == AdjustmentStatus.AGREED.value,
                    _within(AdjustmentRow.decided_at, start, end),
                ),
                adjustments_declined=count(
                    AdjustmentRow.status == AdjustmentStatus.DECLINED.value,
                    _within(AdjustmentRow.decided_at, start, end),
                ),
            )

    def approval_waits(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """(opened, decided) of each approval decided in the period: one row per decision, for the median."""
        with Session(self._snapshot) as session:
            rows = session.exec(
                select(TaskRow.created_at, DecisionRow.decided_at).where(
                    TaskRow.task_id == DecisionRow.task_id,
                    TaskRow.kind == TaskKind.RESTRICTION_APPROVAL.value,
                    col(DecisionRow.outcome).in_(_APPROVAL_OUTCOMES),
                    _within(DecisionRow.decided_at, start, end),
                )
            ).all()
        return [(opened, decided) for opened, decided in rows]
