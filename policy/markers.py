"""The register of markers: every restriction and zero-tolerance stop in force at an instant, with
its grounds, who approved it, its review and its end. Pure: no IO.

The ICO's guidance on warning markers expects each marker to be justified,
reviewed and, normally, told to the person. Here a marker is a restriction in
force (R6 to R13) or a stop of direct contact (R15): its grounds and reasons
justify it, its letter (R10) tells the person, and its review (R11 before the
end, R15 for a stop) is a task with a due date. A review still open past its
due date is flagged.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from policy.letters import MEASURE_WORDS
from policy.state import DecisionEntry, HumanTask, RestrictionEntry
from policy.timeline import GROUNDS_WORDS
from policy.vocabulary import RestrictionGrounds, TaskKind, TaskOutcome, TaskStatus, in_words


class Marker(StrEnum):
    RESTRICTION = "restriction"
    ZERO_TOLERANCE_STOP = "zero_tolerance_stop"


class ReviewState(StrEnum):
    NOT_OPEN = "not_open"  # a restriction's review opens two weeks before its end (R11)
    OPEN = "open"
    OVERDUE = "overdue"  # open past its due date
    DONE = "done"


class MarkerFile(BaseModel):
    """What the register reads of one party's file: its restrictions, and the tasks that approve and
    review them."""

    party_id: str
    restrictions: list[RestrictionEntry] = Field(default_factory=list)
    tasks: list[HumanTask] = Field(default_factory=list)


class MarkerRow(BaseModel):
    """One marker in force: what, why, who approved it, its review and its end."""

    party_id: str
    restriction_id: str
    marker: Marker
    grounds: str
    reasons: str
    measures: list[str]
    started_at: datetime
    ends_at: datetime | None
    approved_by: str | None = Field(description="who approved it and in which role; None: no approval was needed")
    put_in_force_by: str
    review_task_id: str | None
    review_due_at: datetime | None
    review: ReviewState
    reviewed_by: str | None = None

    @property
    def review_overdue(self) -> bool:
        return self.review == ReviewState.OVERDUE


def register(files: list[MarkerFile], at: datetime) -> list[MarkerRow]:
    """The markers in force at `at` (RestrictionEntry.in_force_at), by party, in the file's order."""
    return [_row(f, r, at) for f in files for r in f.restrictions if r.in_force_at(at)]


def _row(file: MarkerFile, r: RestrictionEntry, at: datetime) -> MarkerRow:
    stop = r.grounds == RestrictionGrounds.ZERO_TOLERANCE
    approval = _decided(file.tasks, TaskKind.RESTRICTION_APPROVAL, {r.restriction_id}, TaskOutcome.APPROVE)
    # A restriction's review is about it; a stop's is about the incident that made it (R15).
    if stop:
        review = _latest(file.tasks, TaskKind.ZERO_TOLERANCE_REVIEW, set(r.incident_ids))
    else:
        review = _latest(file.tasks, TaskKind.RESTRICTION_REVIEW, {r.restriction_id})
    assert r.starts_at is not None  # in force
    return MarkerRow(
        party_id=file.party_id,
        restriction_id=r.restriction_id,
        marker=Marker.ZERO_TOLERANCE_STOP if stop else Marker.RESTRICTION,
        grounds=GROUNDS_WORDS[r.grounds],
        reasons=r.reasons,
        measures=[MEASURE_WORDS[m] for m in r.measures],
        started_at=r.starts_at,
        ends_at=r.ends_at,
        approved_by=_who(approval[0]) if approval else None,
        put_in_force_by=r.proposed_by,
        review_task_id=review.task_id if review else None,
        review_due_at=review.due_at if review else None,
        review=_review_state(review, at),
        reviewed_by=_who(review.decisions[-1]) if review and review.status == TaskStatus.DONE else None,
    )


def _who(decision: DecisionEntry) -> str:
    return f"{decision.decided_by} ({in_words(decision.role)})"


def _latest(tasks: list[HumanTask], kind: TaskKind, subjects: set[str]) -> HumanTask | None:
    """The latest task of `kind` about one of `subjects` that was not withdrawn (R12 withdraws a
    review when a repeat moves the end, and plans one for the new end)."""
    found = [t for t in tasks if t.kind == kind and t.subject_id in subjects and t.status != TaskStatus.CANCELLED]
    return found[-1] if found else None


def _decided(tasks: list[HumanTask], kind: TaskKind, subjects: set[str], outcome: TaskOutcome) -> list[DecisionEntry]:
    return [
        d for t in tasks if t.kind == kind and t.subject_id in subjects for d in t.decisions if d.outcome == outcome
    ]


def _review_state(review: HumanTask | None, at: datetime) -> ReviewState:
    if review is None:
        return ReviewState.NOT_OPEN
    if review.status == TaskStatus.DONE:
        return ReviewState.DONE
    if review.due_at is not None and review.due_at < at:
        return ReviewState.OVERDUE
    return ReviewState.OPEN
