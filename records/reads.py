"""Reading the parties' files, for reports, the CLI and tests."""

from sqlmodel import Session, col, select

from records.base import StoreBase
from records.tables import (
    ActedRow,
    AdjustmentRow,
    AskRow,
    ClosedCaseRow,
    DecisionRow,
    EndedCallRow,
    IncidentRow,
    PartyRow,
    RejectionRow,
    RestrictionRow,
    StageChangeRow,
    TaskRow,
    WarningRow,
)


class FileReader(StoreBase):
    """The rows of the parties' files."""

    def party(self, party_id: str) -> PartyRow | None:
        """The party's row, or None if it has no file."""
        with Session(self._engine) as session:
            return session.get(PartyRow, party_id)

    def incidents(self, party_id: str) -> list[IncidentRow]:
        """The party's incidents, earliest first."""
        return self._rows(
            select(IncidentRow)
            .where(IncidentRow.party_id == party_id)
            .order_by(col(IncidentRow.occurred_at), col(IncidentRow.incident_id))
        )

    def asks(self, party_id: str) -> list[AskRow]:
        """The party's asks to stop (R4), in the order they were recorded."""
        return self._rows(select(AskRow).where(AskRow.party_id == party_id).order_by(col(AskRow.seq)))

    def ended_calls(self, party_id: str) -> list[EndedCallRow]:
        """The calls or meetings ended after an ask, with their ground rules (R4a), in the order recorded."""
        return self._rows(select(EndedCallRow).where(EndedCallRow.party_id == party_id).order_by(col(EndedCallRow.seq)))

    def warnings(self, party_id: str) -> list[WarningRow]:
        """The party's warnings (R5), live and expired, in the order they were issued."""
        return self._rows(select(WarningRow).where(WarningRow.party_id == party_id).order_by(col(WarningRow.seq)))

    def restrictions(self, party_id: str) -> list[RestrictionRow]:
        """The party's restrictions in every status, in the order they were proposed."""
        return self._rows(
            select(RestrictionRow).where(RestrictionRow.party_id == party_id).order_by(col(RestrictionRow.seq))
        )

    def stage_changes(self, party_id: str) -> list[StageChangeRow]:
        """The party's stage changes, oldest first."""
        return self._rows(
            select(StageChangeRow).where(StageChangeRow.party_id == party_id).order_by(col(StageChangeRow.seq))
        )

    def tasks(self, party_id: str | None = None, status: str | None = None) -> list[TaskRow]:
        """Human tasks, oldest first.

        Args:
            party_id: Only this party's tasks; all parties' if None.
            status: Only tasks in this status (a `TaskStatus`); any if None.
        """
        query = select(TaskRow).order_by(col(TaskRow.seq))
        if party_id is not None:
            query = query.where(TaskRow.party_id == party_id)
        if status is not None:
            query = query.where(TaskRow.status == status)
        return self._rows(query)

    def task(self, task_id: str) -> TaskRow | None:
        """One human task by its id, or None."""
        found = self._rows(select(TaskRow).where(TaskRow.task_id == task_id))
        return found[0] if found else None

    def decisions(self, task_id: str | None = None, party_id: str | None = None) -> list[DecisionRow]:
        """Decisions on tasks, in the order they were recorded."""
        query = select(DecisionRow).order_by(col(DecisionRow.seq))
        if task_id is not None:
            query = query.where(DecisionRow.task_id == task_id)
        if party_id is not None:
            query = query.where(DecisionRow.party_id == party_id)
        return self._rows(query)

    def adjustments(self, party_id: str) -> list[AdjustmentRow]:
        """The party's requested adjustments (R16), in the order they were requested."""
        return self._rows(
            select(AdjustmentRow).where(AdjustmentRow.party_id == party_id).order_by(col(AdjustmentRow.seq))
        )

    def rejections(self, party_id: str) -> list[RejectionRow]:
        """Every message rejected for the party, oldest first."""
        return self._rows(select(RejectionRow).where(RejectionRow.party_id == party_id).order_by(col(RejectionRow.seq)))

    def closed_cases(self, party_id: str) -> list[ClosedCaseRow]:
        """The party's cases closed with notice (R17), in the order they were recorded."""
        return self._rows(
            select(ClosedCaseRow).where(ClosedCaseRow.party_id == party_id).order_by(col(ClosedCaseRow.seq))
        )

    def acted(self, party_id: str) -> list[ActedRow]:
        """Who acted on the party's file, per message applied, in the order it was recorded."""
        return self._rows(
            select(ActedRow)
            .where(ActedRow.party_id == party_id)
            .order_by(col(ActedRow.recorded_at), col(ActedRow.act_key))
        )
