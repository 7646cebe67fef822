"""Reading a party's file back as the workflow's state, for a new run (R3)."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from policy.carried import carried
from policy.contacts import GateView
from policy.messages import PartyRef
from policy.state import (
    CARRIED_INCIDENTS,
    REJECTION_PAYLOAD_SHOWN,
    AdjustmentEntry,
    AskEntry,
    ClosedCaseEntry,
    EndedCallEntry,
    HumanTask,
    IncidentBrief,
    PartyState,
    Rejection,
    RestrictionEntry,
    WarningEntry,
)
from policy.vocabulary import PartyKind, Stage
from records.base import StoreBase
from records.tables import (
    AdjustmentRow,
    AskRow,
    ClosedCaseRow,
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

# As many as the workflow keeps on its status (rules.record_rejection).
REJECTIONS_IN_STATE = 50


class PartyStateLoader(StoreBase):
    """Rebuilds a party's state from its file."""

    def load_party_state(self, party: PartyRef, timezone: str) -> PartyState | None:
        """Rebuild a party's state from its file, for a new workflow run.

        Args:
            party: The party; its id selects the file. Kind and professional
                capacity come from the file, which holds the latest known.
            timezone: The body's time zone, for the rules' calendar arithmetic.

        Returns:
            The state, or None if the party has no file.
        """
        pid = party.party_id
        with Session(self._snapshot) as session:
            row = session.get(PartyRow, pid)
            if row is None:
                return None
            # The latest received, as a run carries them (policy.carried); in the order they occurred.
            latest = (
                _briefs()
                .where(IncidentRow.party_id == pid)
                .order_by(col(IncidentRow.received_at).desc(), col(IncidentRow.incident_id).desc())
                .limit(CARRIED_INCIDENTS)
            )
            incidents = sorted(session.exec(latest).all(), key=lambda row: (row[2], row[0]))
            incident_count = session.exec(
                select(func.count()).select_from(IncidentRow).where(IncidentRow.party_id == pid)
            ).one()
            asks = session.exec(select(AskRow.data).where(AskRow.party_id == pid).order_by(col(AskRow.seq))).all()
            warnings = session.exec(
                select(WarningRow.data).where(WarningRow.party_id == pid).order_by(col(WarningRow.seq))
            ).all()
            restrictions = session.exec(
                select(RestrictionRow.data).where(RestrictionRow.party_id == pid).order_by(col(RestrictionRow.seq))
            ).all()
            tasks = session.exec(select(TaskRow.data).where(TaskRow.party_id == pid).order_by(col(TaskRow.seq))).all()
            adjustments = session.exec(
                select(AdjustmentRow.data).where(AdjustmentRow.party_id == pid).order_by(col(AdjustmentRow.seq))
            ).all()
            rejections = session.exec(
                select(RejectionRow)
                .where(RejectionRow.party_id == pid)
                .order_by(col(RejectionRow.seq).desc())
                .limit(REJECTIONS_IN_STATE)
            ).all()
            closed_cases = session.exec(
                select(ClosedCaseRow.data).where(ClosedCaseRow.party_id == pid).order_by(col(ClosedCaseRow.seq))
            ).all()
            ended_calls = _ended_calls(session, pid)
            stage_change_count = session.exec(
                select(func.count()).select_from(StageChangeRow).where(StageChangeRow.party_id == pid)
            ).one()
            letter_ids = session.exec(
                select(LetterRow.letter_id).where(LetterRow.party_id == pid).order_by(col(LetterRow.seq))
            ).all()
            activity_instants = [at for at in session.exec(_last_activity_at(pid)).one() if at is not None]
        state = PartyState(
            party=PartyRef(party_id=pid, kind=PartyKind(row.kind), professional_capacity=row.professional_capacity),
            timezone=timezone,
            stage=Stage(row.stage),
            incidents=_brief_map(incidents),
            incident_count=incident_count,
            asks=[AskEntry.model_validate(data) for data in asks],
            warnings=[WarningEntry.model_validate(data) for data in warnings],
            restrictions=[RestrictionEntry.model_validate(data) for data in restrictions],
            tasks=[HumanTask.model_validate(data) for data in tasks],
            adjustments=[AdjustmentEntry.model_validate(data) for data in adjustments],
            rejections=[
                Rejection(
                    received_at=r.received_at,
                    message=r.message,
                    message_id=r.message_id,
                    reason=r.reason,
                    payload=r.payload[:REJECTION_PAYLOAD_SHOWN],
                )
                for r in reversed(rejections)
            ],
            closed_cases=[ClosedCaseEntry.model_validate(data) for data in closed_cases],
            ended_calls=ended_calls,
            stage_change_count=stage_change_count,
            letter_ids=list(letter_ids),
            last_activity_at=max(activity_instants, default=None),
        )
        return carried(state)

    def incident_briefs(
        self, party_id: str, incident_ids: list[str], received_before: datetime
    ) -> dict[str, IncidentBrief]:
        """What the rules need of those of `incident_ids` on the party's file: a run
        carries its latest incidents only, and asks for older ones by id.

        Args:
            party_id: The party.
            incident_ids: The ids a message names.
            received_before: Only incidents received before this instant count.

        Returns:
            A brief per incident on file, by id; ids not on file are left out.
        """
        with Session(self._snapshot) as session:
            rows = session.exec(
                _briefs().where(
                    IncidentRow.party_id == party_id,
                    col(IncidentRow.incident_id).in_(incident_ids),
                    col(IncidentRow.received_at) < received_before,
                )
            ).all()
        return _brief_map(rows)

    def load_gate_view(self, party_id: str, timezone: str) -> GateView | None:
        """What the contact gate reads of a party with no open workflow, from its file:
        the restrictions that have started, its closed cases and its ended calls' ground rules (R4a, R8, R17).

        Returns:
            The view, or None if the party has no file.
        """
        with Session(self._snapshot) as session:
            if session.get(PartyRow, party_id) is None:
                return None
            restrictions = session.exec(
                select(RestrictionRow.data)
                .where(RestrictionRow.party_id == party_id, col(RestrictionRow.starts_at).is_not(None))
                .order_by(col(RestrictionRow.seq))
            ).all()
            closed_cases = session.exec(
                select(ClosedCaseRow.data).where(ClosedCaseRow.party_id == party_id).order_by(col(ClosedCaseRow.seq))
            ).all()
            ended_calls = [c for c in _ended_calls(session, party_id) if c.ground_rules is not None]
        return GateView(
            party_id=party_id,
            timezone=timezone,
            restrictions=[RestrictionEntry.model_validate(data) for data in restrictions],
            closed_cases=[ClosedCaseEntry.model_validate(data) for data in closed_cases],
            ended_calls=ended_calls,
        )


def _ended_calls(session: Session, party_id: str) -> list[EndedCallEntry]:
    """R4a: the party's ended calls, in the order they were recorded."""
    rows = session.exec(
        select(EndedCallRow.data).where(EndedCallRow.party_id == party_id).order_by(col(EndedCallRow.seq))
    ).all()
    return [EndedCallEntry.model_validate(data) for data in rows]


def _briefs() -> Any:
    """An incident's id and what the rules keep of it (policy.state.IncidentBrief)."""
    return select(
        col(IncidentRow.incident_id),
        col(IncidentRow.category),
        col(IncidentRow.occurred_at),
        # As the rules keep it: who experienced it, else who reported it (four eyes).
        func.coalesce(col(IncidentRow.experienced_by), col(IncidentRow.reported_by)),
    )


def _brief_map(rows: Any) -> dict[str, IncidentBrief]:
    return {
        incident_id: IncidentBrief(category=category, occurred_at=occurred_at, colleague=colleague)
        for incident_id, category, occurred_at, colleague in rows
    }


def _last_activity_at(party_id: str) -> Any:
    """The latest instants at which the file shows an incident, ask, warning and restriction.

    Exact for incidents (received then); for the others the effects carry the
    entry's own instant (asked, communicated, decided), not when the workflow
    applied it, so this can be a little early. That only shortens the
    follow-up period of a run that starts long after the last message.
    """
    latest = [
        select(func.max(column)).where(model.party_id == party_id).scalar_subquery()
        for model, column in (
            (IncidentRow, IncidentRow.received_at),
            (AskRow, AskRow.asked_at),
            (WarningRow, WarningRow.communicated_at),
            (RestrictionRow, RestrictionRow.decided_at),
        )
    ]
    # One row of four maxima: SQLite has no GREATEST, PostgreSQL no max(a, b).
    return select(*latest)
