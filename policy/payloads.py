"""The party workflow's input and its activities' inputs and outputs."""

from datetime import datetime

from pydantic import BaseModel, Field

from policy.dates import DEFAULT_TIMEZONE
from policy.effects import Effect
from policy.messages import PartyRef
from policy.state import PartyState
from policy.vocabulary import Role, TaskKind


class LoadPartyInput(BaseModel):
    """Input of the load activity: a new run reads the party's file."""

    party: PartyRef
    timezone: str


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


class PartyWorkflowInput(BaseModel):
    """The party workflow's one argument; `state` and `unwritten` carry a run
    across continue-as-new, and are empty when a case system starts it."""

    party: PartyRef
    timezone: str = DEFAULT_TIMEZONE
    state: PartyState | None = None
    unwritten: list[Effect] = Field(default_factory=list)
