"""A party's state as the workflow carries it, and the effects the rules ask for.

One serialisable model (the workflow's state, carried across
continue-as-new) and a discriminated union of effects the workflow carries
out through activities. Table models never appear here.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from policy.dates import DEFAULT_TIMEZONE
from policy.messages import IncidentReport, PartyRef
from policy.vocabulary import (
    AdjustmentStatus,
    Advice,
    Category,
    Measure,
    NoticeKind,
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
)


class IncidentBrief(BaseModel):
    """What the rules need of an incident; the full report lives in the records DB."""

    category: Category
    occurred_at: datetime
    colleague: str | None = Field(default=None, description="who experienced it (or reported it): four eyes")


class AskEntry(BaseModel):
    ask_id: str
    categories: list[Category]
    incident_ids: list[str]
    asked_at: datetime
    asked_by: str
    adjustment_discussed: bool
    notes: str = ""


class WarningEntry(BaseModel):
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

    def covers(self, category: Category) -> bool:
        return category in self.categories

    def was_live_at(self, instant: datetime) -> bool:
        return self.communicated_at <= instant < self.expires_at


class RestrictionEntry(BaseModel):
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

    def covers(self, category: Category) -> bool:
        return category in self.categories

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


class Rejection(BaseModel):
    """A signal that could not be applied: kept where staff can see it."""

    received_at: datetime
    message: str
    message_id: str | None
    reason: str
    payload: str = Field(default="", description="the message as received, cut to 10,000 characters")


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
    stage_change_count: int = 0
    last_activity_at: datetime | None = Field(
        default=None, description="when the last incident, ask, warning or restriction was applied"
    )

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


# --- effects: what the workflow must write to the party's file ------------


class PartySaved(BaseModel):
    kind: Literal["party"] = "party"
    party: PartyRef
    stage: Stage
    at: datetime


class IncidentRecorded(BaseModel):
    kind: Literal["incident"] = "incident"
    report: IncidentReport
    received_at: datetime


class AskSaved(BaseModel):
    kind: Literal["ask"] = "ask"
    party_id: str
    ask: AskEntry


class WarningSaved(BaseModel):
    kind: Literal["warning"] = "warning"
    party_id: str
    warning: WarningEntry


class RestrictionSaved(BaseModel):
    kind: Literal["restriction"] = "restriction"
    party_id: str
    restriction: RestrictionEntry


class StageChanged(BaseModel):
    kind: Literal["stage_change"] = "stage_change"
    change_id: str
    party_id: str
    from_stage: Stage
    to_stage: Stage
    at: datetime
    reason: str


class TaskSaved(BaseModel):
    kind: Literal["task"] = "task"
    party_id: str
    task: HumanTask


class DecisionRecorded(BaseModel):
    kind: Literal["decision"] = "decision"
    party_id: str
    decision: DecisionEntry


class AdjustmentSaved(BaseModel):
    kind: Literal["adjustment"] = "adjustment"
    party_id: str
    adjustment: AdjustmentEntry


class NoticeQueued(BaseModel):
    """A notice to staff (task opened, reminder, escalation, overdue); a
    notifier reads the `notice` table and sends it."""

    kind: Literal["notice"] = "notice"
    notice_id: str
    party_id: str
    task_id: str
    notice: NoticeKind
    roles: list[Role]
    at: datetime
    text: str


class MessageRejected(BaseModel):
    kind: Literal["rejection"] = "rejection"
    party_id: str
    rejection: Rejection


Effect = Annotated[
    PartySaved
    | IncidentRecorded
    | AskSaved
    | WarningSaved
    | RestrictionSaved
    | StageChanged
    | TaskSaved
    | DecisionRecorded
    | AdjustmentSaved
    | NoticeQueued
    | MessageRejected,
    Field(discriminator="kind"),
]


class EffectBatch(BaseModel):
    """Input of the write activity: effects in the order the rules produced them."""

    party_id: str
    effects: list[Effect]


class LoadPartyInput(BaseModel):
    """Input of the load activity: a new run reads the party's file."""

    party: PartyRef
    timezone: str


class IncidentOutcome(BaseModel):
    """What the policy says after an incident: the answer to the update."""

    incident_id: str
    duplicate: bool
    stage: Stage
    advice: list[Advice]
    restrictions_extended: dict[str, datetime] = Field(default_factory=dict)
    next_deadline: datetime | None = None


class CommandOutcome(BaseModel):
    """The answer to an ask, warning or restriction message."""

    message_id: str
    duplicate: bool
    stage: Stage
    warning: WarningEntry | None = None
    restriction: RestrictionEntry | None = None
    next_deadline: datetime | None = None


class PolicyRefusal(Exception):
    """A message the policy does not allow; `rule` names the rule (e.g. "R14")."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class TaskPlanRequest(BaseModel):
    """Input of the task-planning activity: dates in working days need the
    holiday calendar and eligibility needs the staff list, both IO."""

    task_id: str
    kind: TaskKind
    created_at: datetime
    timezone: str
    reminder_working_days: int
    due_working_days: int
    candidate_roles: list[Role]
    escalation_roles: list[Role]
    excluded_staff: list[str]


class TaskPlan(BaseModel):
    """Computed once and stored in history: never re-derived."""

    reminder_at: datetime
    due_at: datetime
    escalation_due_at: datetime
    eligible_staff: list[str] = Field(description="active staff in a candidate role, not excluded")
    eligible_alternates: list[str] = Field(description="active staff in an escalation role, not excluded")


class TaskOutcomeReply(BaseModel):
    """The answer to a task decision."""

    task: HumanTask
    duplicate: bool
    stage: Stage


class PartyWorkflowInput(BaseModel):
    """The party workflow's one argument; `state` and `unwritten` carry a run
    across continue-as-new, and are empty when a case system starts it."""

    party: PartyRef
    timezone: str = DEFAULT_TIMEZONE
    state: PartyState | None = None
    unwritten: list[Effect] = Field(default_factory=list)


class PartyStatus(BaseModel):
    """The status query's answer: what operations and case systems see."""

    party: PartyRef
    stage: Stage
    next_deadline: datetime | None
    incident_count: int
    recent_incident_ids: list[str]
    asks: list[AskEntry]
    warnings: list[WarningEntry]
    restrictions: list[RestrictionEntry]
    open_tasks: list[HumanTask]
    adjustments: list[AdjustmentEntry]
    rejections: list[Rejection]
    loading: bool = False
