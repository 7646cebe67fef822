"""The register of markers (issue 29): what the register reads of every party's file, all parties
at once. Which of it is in force, and whose review is late, is policy.markers' to say."""

from datetime import datetime

from sqlmodel import Session, col, or_, select

from policy.markers import MarkerFile
from policy.state import HumanTask, RestrictionEntry
from policy.vocabulary import TaskKind
from records.base import StoreBase
from records.tables import RestrictionRow, TaskRow

# The tasks that approve or review a restriction or a stop (R7, R11, R15).
_MARKER_TASKS = [TaskKind.RESTRICTION_APPROVAL, TaskKind.RESTRICTION_REVIEW, TaskKind.ZERO_TOLERANCE_REVIEW]


class MarkerRegister(StoreBase):
    """Restrictions that may be in force at an instant, with the tasks about them."""

    def marker_files(self, at: datetime) -> list[MarkerFile]:
        """Each party with a restriction started by `at` and not ended before it: those restrictions
        and the party's approval and review tasks, by party id. Restrictions whose end is past
        but which the party's workflow has not yet expired are read too: policy.markers decides."""
        with Session(self._snapshot) as session:
            restrictions = session.exec(
                select(RestrictionRow.party_id, RestrictionRow.data)
                .where(col(RestrictionRow.starts_at) <= at)
                .where(or_(col(RestrictionRow.ended_at).is_(None), col(RestrictionRow.ended_at) > at))
                .order_by(col(RestrictionRow.party_id), col(RestrictionRow.seq))
            ).all()
            parties = sorted({party_id for party_id, _ in restrictions})
            tasks = session.exec(
                select(TaskRow.party_id, TaskRow.data)
                .where(col(TaskRow.party_id).in_(parties))
                .where(col(TaskRow.kind).in_([k.value for k in _MARKER_TASKS]))
                .order_by(col(TaskRow.seq))
            ).all()
        files = {p: MarkerFile(party_id=p) for p in parties}
        for party_id, data in restrictions:
            files[party_id].restrictions.append(RestrictionEntry.model_validate(data))
        for party_id, data in tasks:
            files[party_id].tasks.append(HumanTask.model_validate(data))
        return list(files.values())
