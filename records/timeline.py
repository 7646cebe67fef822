"""A party's file read for its timeline (policy.timeline), in one consistent read: what is on it,
and who acted for each message applied; whole, or one page of its timeline.

A file at the policy's bounds holds 10,000 incidents, and who acted for each: a page of 200
entries reads only its own incidents (`timeline_page`), found by counting the incidents before
each other entry on the index of the party's incidents in date order (migration 0016). The
rest of the file (asks, warnings, restrictions, tasks, letters ...) grows with decisions
taken on it, not with what the party sends, and is read whole.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
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
from policy.timeline import (
    ActedOnFile,
    EntryKind,
    IncidentOnFile,
    LetterOnFile,
    PartyFile,
    StageChangeOnFile,
    TimelineEntry,
    Viewer,
    entry_order,
    timeline,
)
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


# The incidents of a file in the timeline's order: by date, then by id (a fixed order for a page).
_INCIDENT_ORDER = (col(IncidentRow.occurred_at), col(IncidentRow.incident_id))
# Who acted is keyed by the message's kind: an incident's is `incident`.
_INCIDENT = "incident"


@dataclass(frozen=True)
class TimelinePageRead:
    """One page of a party's timeline, as read in one consistent read.

    Attributes:
        file: The party's file without its incidents (they are counted in `incidents`).
        incidents: How many incidents the file holds.
        entries: The page's entries, oldest first; empty if the page starts past the last entry.
        total: How many entries the whole timeline holds.
    """

    file: PartyFile
    incidents: int
    entries: list[TimelineEntry]
    total: int


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
            return _read_file(session, party, every_incident=True)

    def timeline_page(
        self, party_id: str, timezone: str, viewer: Viewer, start: int, size: int
    ) -> TimelinePageRead | None:
        """Entries `start` to `start + size` (from 0) of the party's timeline (policy.timeline), as `viewer` sees them.

        The rest of the file is read whole and put in order; the incidents before the page are
        counted, not read: where the page starts among the other entries is found by halving,
        each step one count on the index of the party's incidents by date.

        Returns:
            The page, or None if the party has no file.
        """
        with Session(self._snapshot) as session:
            party = session.get(PartyRow, party_id)
            if party is None:
                return None
            rest_of_file = _read_file(session, party, every_incident=False)
            # The incidents read with the rest are those its repeats name (for their dates): not entries here.
            rest = [e for e in timeline(rest_of_file, timezone, viewer) if e.kind != EntryKind.INCIDENT]
            of_party = col(IncidentRow.party_id) == party_id

            def incidents_until(at: Any) -> int:
                # At the same instant, an incident comes before any other entry (`EntryKind`).
                query = select(func.count()).select_from(IncidentRow).where(of_party)
                return session.exec(query.where(col(IncidentRow.occurred_at) <= at)).one()

            incidents = session.exec(select(func.count()).select_from(IncidentRow).where(of_party)).one()
            total = incidents + len(rest)
            if start >= total:
                return TimelinePageRead(rest_of_file, incidents, [], total)
            # How many other entries come before the page: entry j has j others and the incidents until it before it.
            low, high = 0, len(rest)
            while low < high:
                middle = (low + high) // 2
                if middle + incidents_until(rest[middle].at) < start:
                    low = middle + 1
                else:
                    high = middle
            page = session.exec(
                select(IncidentRow).where(of_party).order_by(*_INCIDENT_ORDER).offset(start - low).limit(size)
            ).all()
            acted = session.exec(
                select(ActedRow).where(
                    col(ActedRow.party_id) == party_id,
                    col(ActedRow.message_kind) == _INCIDENT,
                    col(ActedRow.message_id).in_([i.incident_id for i in page]),
                )
            ).all()
        # The page's incidents alone, with who acted for them: their entries, to merge with the rest's.
        on_page = PartyFile(
            party_id=party_id,
            kind=rest_of_file.kind,
            professional_capacity=rest_of_file.professional_capacity,
            stage=rest_of_file.stage,
            incidents=[IncidentOnFile.model_validate(i, from_attributes=True) for i in page],
            acted=[ActedOnFile.model_validate(a, from_attributes=True) for a in acted],
        )
        incident_entries = [e for e in timeline(on_page, timezone, viewer) if e.kind == EntryKind.INCIDENT]
        entries = sorted(incident_entries + rest[low : low + size], key=entry_order)[:size]
        return TimelinePageRead(rest_of_file, incidents, entries, total)


def _read_file(session: Session, party: PartyRow, *, every_incident: bool) -> PartyFile:
    """The party's file; with every incident and who acted for each, or (not `every_incident`) only
    the incidents its warnings' repeats name, and who acted for everything but incidents."""
    party_id = party.party_id

    def rows(table: Any, order: Any, *columns: Any) -> list[Any]:
        query = select(*columns) if columns else select(table)
        return list(session.exec(query.where(table.party_id == party_id).order_by(order)).all())

    def entries(table: Any) -> list[dict[str, Any]]:
        return rows(table, col(table.seq), col(table.data))

    warnings = [WarningEntry.model_validate(data) for data in entries(WarningRow)]
    incidents_query = select(IncidentRow).where(col(IncidentRow.party_id) == party_id)
    acted_query = select(ActedRow).where(col(ActedRow.party_id) == party_id)
    if not every_incident:
        repeats = sorted({i for w in warnings for i in w.repeat_incident_ids})
        incidents_query = incidents_query.where(col(IncidentRow.incident_id).in_(repeats))
        # Two ranges of the (party, kind) index rather than a `!=` it cannot seek on.
        kind = col(ActedRow.message_kind)
        acted_query = acted_query.where(or_(kind < _INCIDENT, kind > _INCIDENT))
    incidents = session.exec(incidents_query.order_by(*_INCIDENT_ORDER)).all()
    acted = session.exec(acted_query.order_by(col(ActedRow.recorded_at))).all()
    letters = rows(LetterRow, col(LetterRow.seq), *_LETTER_COLUMNS)
    return PartyFile(
        party_id=party_id,
        kind=party.kind,
        professional_capacity=party.professional_capacity,
        stage=party.stage,
        incidents=[IncidentOnFile.model_validate(row, from_attributes=True) for row in incidents],
        asks=[AskEntry.model_validate(data) for data in entries(AskRow)],
        ended_calls=[EndedCallEntry.model_validate(data) for data in entries(EndedCallRow)],
        warnings=warnings,
        restrictions=[RestrictionEntry.model_validate(data) for data in entries(RestrictionRow)],
        tasks=[HumanTask.model_validate(data) for data in entries(TaskRow)],
        adjustments=[AdjustmentEntry.model_validate(data) for data in entries(AdjustmentRow)],
        letters=[LetterOnFile.model_validate(row._asdict() | {"dates": row.data.get("dates", [])}) for row in letters],
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
        acted=[ActedOnFile.model_validate(row, from_attributes=True) for row in acted],
        corrections=[
            CorrectionEntry.model_validate(row, from_attributes=True)
            for row in rows(CorrectionRow, col(CorrectionRow.seq))
        ],
    )
