"""A party's state as the workflow carries it: one serialisable model.

It is carried across continue-as-new and returned, in part, by the status
query. Table models never appear here.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from policy.dates import DEFAULT_TIMEZONE
from policy.measures import MeasureTerms, StoredTerms
from policy.messages import PartyRef
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    ContactChannel,
    GroundRulesStatus,
    LetterFormat,
    Measure,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
    TaskStatus,
    WarningMethod,
    WarningStatus,
    is_same_or_similar,
)

# A party's state does not grow with its incident count: it carries its latest
# incidents only; older ones are on file, read back when a message names one.
CARRIED_INCIDENTS = 500
# A warning lists its latest repeats, a zero-tolerance restriction its latest
# instances: every incident is on file, and each save of the entry stays small.
LISTED_INCIDENTS = 100
# A rejected message is kept whole (10,000 characters) on file; the state and
# the status show its beginning.
REJECTION_PAYLOAD_SHOWN = 1_000


class _AboutCategories:
    """An ask, warning or restriction: about the behaviour of its categories."""

    if TYPE_CHECKING:
        # A field of each model that mixes this in; declared there, so that it
        # keeps its place among the model's fields.
        categories: list[Category]

    def covers(self, category: Category) -> bool:
        """R20: `category` is the same as or similar to what this was about."""
        return any(is_same_or_similar(category, c) for c in self.categories)


class IncidentBrief(BaseModel):
    """What the rules need of an incident; the full report lives in the records DB."""

    category: Category
    occurred_at: datetime
    colleague: str | None = Field(default=None, description="who experienced it (or reported it): four eyes")


class AskEntry(_AboutCategories, BaseModel):
    ask_id: str
    categories: list[Category]
    incident_ids: list[str]
    asked_at: datetime
    asked_by: str
    adjustment_discussed: bool
    notes: str = ""


class GroundRules(BaseModel):
    """R4a: what future calls or meetings start by agreeing, after an ended call. Not a
    restriction: they stand six calendar months from when they were agreed, held open by a
    same or similar repeat (as R5a a warning), until a restriction in force supersedes them
    or a colleague lifts them."""

    text: str
    agreed_at: datetime
    until: datetime = Field(description="six calendar months after agreed_at, or after the latest repeat")
    status: GroundRulesStatus = GroundRulesStatus.STANDING
    held_open_by_incident_id: str | None = Field(default=None, description="the repeat that last moved `until`")
    ended_at: datetime | None = Field(default=None, description="when they stopped standing")
    ended_by: str | None = Field(default=None, description="who lifted them, or the restriction that superseded them")
    end_reason: str | None = None

    def stand_at(self, instant: datetime) -> bool:
        """Agreed by `instant`, and not yet lapsed, superseded or lifted."""
        return self.agreed_at <= instant < (self.ended_at or self.until)


class EndedCallEntry(_AboutCategories, BaseModel):
    """R4a: a call or meeting ended after an ask because the behaviour continued."""

    call_id: str
    ask_id: str
    categories: list[Category] = Field(description="the ask's: what the ground rules are held open by (R20)")
    channel: ContactChannel
    ended_at: datetime
    ended_by: str
    why: str
    ground_rules: GroundRules | None = None

    def standing(self) -> GroundRules | None:
        """Its ground rules, while they stand."""
        rules = self.ground_rules
        return rules if rules is not None and rules.status == GroundRulesStatus.STANDING else None


class WarningEntry(_AboutCategories, BaseModel):
    warning_id: str
    categories: list[Category]
    incident_ids: list[str]
    communicated_at: datetime
    expires_at: datetime
    issued_by: str
    method: WarningMethod
    reasons: str
    status: WarningStatus = WarningStatus.LIVE
    repeat_incident_ids: list[str] = Field(default_factory=list)
    extended_by_incident_id: str | None = Field(
        default=None,
        description="R5a: the repeat that last moved expires_at to six months after it; none while it is "
        "six months after communication",
    )

    def was_live_at(self, instant: datetime) -> bool:
        return self.communicated_at <= instant < self.expires_at


class RestrictionEntry(_AboutCategories, BaseModel):
    restriction_id: str
    categories: list[Category]
    incident_ids: list[str]
    measures: list[Measure]
    grounds: RestrictionGrounds
    status: RestrictionStatus
    proposed_by: str
    reasons: str
    contact_arrangements: str
    decided_at: datetime
    last_instance_at: datetime
    needs_approval_because: list[str] = Field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    ended_at: datetime | None = None
    recurrence_window_ends_at: datetime | None = None
    recurrence_window_closed: bool = False
    replaces_restriction_id: str | None = None
    terms: list[StoredTerms] = Field(
        default_factory=list,
        description="R8: the parameters of those measures given with them; a measure without them "
        "is answered by the contact gate with the contact arrangements",
    )

    def terms_of(self, measure: Measure) -> MeasureTerms | None:
        """The measure's parameters, or None if it was given by name only."""
        return next((t for t in self.terms if t.measure == measure), None)

    def in_force_at(self, instant: datetime) -> bool:
        """Started by `instant`, and not yet ended, lifted, replaced or past its end (R12)."""
        if self.starts_at is None or instant < self.starts_at:
            return False
        if self.status not in (RestrictionStatus.IN_FORCE, RestrictionStatus.EXPIRED, RestrictionStatus.SUPERSEDED):
            return False
        ended = self.ended_at or self.ends_at
        return ended is None or instant < ended

    def recurrence_window_open_at(self, instant: datetime) -> bool:
        """R13: within six months after this restriction ended."""
        return (
            self.status == RestrictionStatus.EXPIRED
            and self.ended_at is not None
            and self.recurrence_window_ends_at is not None
            and self.ended_at <= instant < self.recurrence_window_ends_at
        )


class DecisionEntry(BaseModel):
    """Who decided a task, in which role, when, how and why."""

    decision_id: str
    task_id: str
    decided_by: str
    role: Role
    outcome: TaskOutcome
    reason: str
    decided_at: datetime
    police_referral: bool | None = None
    support_offered: list[SupportOption] = Field(default_factory=list)


class HumanTask(BaseModel):
    """A decision a person owes: candidate roles, people excluded for conflict of
    interest, working-day due dates (computed once by an activity), escalation."""

    task_id: str
    kind: TaskKind
    subject_id: str
    created_at: datetime
    status: TaskStatus = TaskStatus.OPEN
    summary: str
    candidate_roles: list[Role] = Field(default_factory=list)
    escalation_roles: list[Role] = Field(default_factory=list)
    excluded_staff: list[str] = Field(default_factory=list)
    reminder_at: datetime | None = None
    due_at: datetime | None = None
    escalation_due_at: datetime | None = None
    eligible_staff: list[str] = Field(default_factory=list)
    reminded: bool = False
    escalated_at: datetime | None = None
    escalation_reason: str | None = None
    overdue_since: datetime | None = None
    decisions: list[DecisionEntry] = Field(default_factory=list)
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = Field(default=None, description="why it was withdrawn, in plain words")
    cancelled_by_incident_id: str | None = Field(
        default=None, description="the incident whose report withdrew it (R12: it moved the restriction's end)"
    )

    @property
    def planned(self) -> bool:
        return self.due_at is not None

    def deciding_roles(self) -> list[Role]:
        """Candidates, joined by the alternates once the task escalates (R7)."""
        if self.escalated_at is None:
            return list(self.candidate_roles)
        return list(dict.fromkeys([*self.candidate_roles, *self.escalation_roles]))


class AdjustmentEntry(BaseModel):
    """R16: a reasonable adjustment someone asked for, and what became of it."""

    adjustment_id: str
    description: str
    requested_at: datetime
    recorded_by: str
    status: AdjustmentStatus = AdjustmentStatus.REQUESTED
    advice_task_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    letter_format: LetterFormat | None = None


class Rejection(BaseModel):
    """A signal that could not be applied: kept where staff can see it."""

    received_at: datetime
    message: str
    message_id: str | None
    reason: str
    payload: str = Field(
        default="", description="the message as received: on file cut to 10,000 characters, here to 1,000"
    )


class ClosedCaseEntry(BaseModel):
    """R17: a case closed with notice that no further reply will be made."""

    case_reference: str
    closed_at: datetime
    closed_by: str
    notes: str = ""
    recorded_at: datetime


class PartyState(BaseModel):
    party: PartyRef
    timezone: str = DEFAULT_TIMEZONE
    stage: Stage = Stage.NONE
    incidents: dict[str, IncidentBrief] = Field(default_factory=dict)
    incident_count: int = 0
    asks: list[AskEntry] = Field(default_factory=list)
    warnings: list[WarningEntry] = Field(default_factory=list)
    restrictions: list[RestrictionEntry] = Field(default_factory=list)
    tasks: list[HumanTask] = Field(default_factory=list)
    adjustments: list[AdjustmentEntry] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)
    closed_cases: list[ClosedCaseEntry] = Field(default_factory=list, description="R17")
    ended_calls: list[EndedCallEntry] = Field(default_factory=list, description="R4a")
    stage_change_count: int = 0
    letter_ids: list[str] = Field(
        default_factory=list, description="R10: the letters already due, by id (policy.letters.letter_id_for)"
    )
    last_activity_at: datetime | None = Field(
        default=None, description="when the last incident, ask, warning or restriction was applied"
    )

    def beyond_window(self, incident_ids: list[str]) -> list[str]:
        """Of `incident_ids`, those only the file can tell about: not carried, while
        some of the party's incidents are on file only (CARRIED_INCIDENTS)."""
        if self.incident_count <= len(self.incidents):
            return []
        return [i for i in incident_ids if i not in self.incidents]

    def warning(self, warning_id: str) -> WarningEntry | None:
        return next((w for w in self.warnings if w.warning_id == warning_id), None)

    def restriction(self, restriction_id: str) -> RestrictionEntry | None:
        return next((r for r in self.restrictions if r.restriction_id == restriction_id), None)

    def ask(self, ask_id: str) -> AskEntry | None:
        return next((a for a in self.asks if a.ask_id == ask_id), None)

    def task(self, task_id: str) -> HumanTask | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    def adjustment(self, adjustment_id: str) -> AdjustmentEntry | None:
        return next((a for a in self.adjustments if a.adjustment_id == adjustment_id), None)

    def ended_call(self, call_id: str) -> EndedCallEntry | None:
        return next((c for c in self.ended_calls if c.call_id == call_id), None)

    def closed_case(self, case_reference: str) -> ClosedCaseEntry | None:
        return next((c for c in self.closed_cases if c.case_reference == case_reference), None)
