"""A party's whole file read for its timeline (policy.timeline), in one consistent read: what is on it,
and who acted for each message applied."""

from typing import Any

from sqlmodel import Session, col, select

from policy.corrections import CorrectionEntry
from policy.state import (
    AdjustmentEntry,
    AskEntry,
    ClosedCaseEntry,
    EndedCallEntry,
    HumanTask,
    Rejection,
    RestrictionEntry,
    WarningEntry,
)
from policy.timeline import ActedOnFile, IncidentOnFile, LetterOnFile, PartyFile, StageChangeOnFile
from records.base import StoreBase
from records.tables import (
    ActedRow,
    AdjustmentRow,
    AskRow,
    ClosedCaseRow,
    CorrectionRow,
    EndedCallRow,
    IncidentRow,
    LetterRow,
    PartyRow,
    RejectionRow,
    RestrictionRow,
    StageChangeRow,
    TaskRow,
    WarningRow,
)

# A letter's metadata and the dates it carries (in `data`), never its HTML or PDF.
_LETTER_COLUMNS = [
    col(getattr(LetterRow, name))
    for name in ("letter_id", "kind", "subject_id", "decided_at", "produced_at", "sent_at", "sent_method", "data")
]


class PartyFileReader(StoreBase):
    """Reads a party's file as the policy's models, for its timeline."""

    def party_file(self, party_id: str) -> PartyFile | None:
        """Every table of the party's file, each in the order it was written; the letters without their text.

        Returns:
            The file, or None if the party has none.
        """
        with Session(self._snapshot) as session:
            party = session.get(PartyRow, party_id)
            if party is None:
                return None

            def rows(table: Any, order: Any, *columns: Any) -> list[Any]:
                query = select(*columns) if columns else select(table)
                return list(session.exec(query.where(table.party_id == party_id).order_by(order)).all())

            def entries(table: Any) -> list[dict[str, Any]]:
                return rows(table, col(table.seq), col(table.data))

            incidents = rows(IncidentRow, col(IncidentRow.occurred_at))
            letters = rows(LetterRow, col(LetterRow.seq), *_LETTER_COLUMNS)
            return PartyFile(
                party_id=party_id,
                kind=party.kind,
                professional_capacity=party.professional_capacity,
                stage=party.stage,
                incidents=[IncidentOnFile.model_validate(row, from_attributes=True) for row in incidents],
                asks=[AskEntry.model_validate(data) for data in entries(AskRow)],
                ended_calls=[EndedCallEntry.model_validate(data) for data in entries(EndedCallRow)],
                warnings=[WarningEntry.model_validate(data) for data in entries(WarningRow)],
                restrictions=[RestrictionEntry.model_validate(data) for data in entries(RestrictionRow)],
                tasks=[HumanTask.model_validate(data) for data in entries(TaskRow)],
                adjustments=[AdjustmentEntry.model_validate(data) for data in entries(AdjustmentRow)],
                letters=[
                    LetterOnFile.model_validate(row._asdict() | {"dates": row.data.get("dates", [])}) for row in letters
                ],
                stage_changes=[
                    StageChangeOnFile.model_validate(row, from_attributes=True)
                    for row in rows(StageChangeRow, col(StageChangeRow.seq))
                ],
                closed_cases=[ClosedCaseEntry.model_validate(data) for data in entries(ClosedCaseRow)],
                # What was rejected and why; not the message as received.
                rejections=[
                    Rejection.model_validate(row.model_dump(exclude={"payload"}))
                    for row in rows(RejectionRow, col(RejectionRow.seq))
                ],
                acted=[
                    ActedOnFile.model_validate(row, from_attributes=True)
                    for row in rows(ActedRow, col(ActedRow.recorded_at))
                ],
                corrections=[
                    CorrectionEntry.model_validate(row, from_attributes=True)
                    for row in rows(CorrectionRow, col(CorrectionRow.seq))
                ],
            )
