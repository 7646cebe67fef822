"""What the party workflow answers: to updates, and to the status query."""

from datetime import datetime

from pydantic import BaseModel, Field

from policy.contacts import ContactAnswer
from policy.messages import PartyRef
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
from policy.vocabulary import Advice, Stage


class IncidentOutcome(BaseModel):
    """What the policy says after an incident: the answer to the update."""

    incident_id: str
    duplicate: bool
    stage: Stage
    advice: list[Advice]
    restrictions_extended: dict[str, datetime] = Field(default_factory=dict)
    warnings_extended: dict[str, datetime] = Field(default_factory=dict, description="R5a: warning id to new expiry")
    ground_rules_held_open: dict[str, datetime] = Field(
        default_factory=dict, description="R4a: ended call id to the new end of its ground rules"
    )
    next_deadline: datetime | None = None


class CommandOutcome(BaseModel):
    """The answer to an ask, ended call (R4a), warning or restriction message."""

    message_id: str
    duplicate: bool
    stage: Stage
    warning: WarningEntry | None = None
    restriction: RestrictionEntry | None = None
    ended_call: EndedCallEntry | None = Field(default=None, description="R4a: the ended call and its ground rules")
    next_deadline: datetime | None = None


class TaskOutcomeReply(BaseModel):
    """The answer to a task decision."""

    task: HumanTask
    duplicate: bool
    stage: Stage


class CaseClosureOutcome(BaseModel):
    """The answer to a case closure (R17)."""

    case_reference: str
    duplicate: bool
    closed_case: ClosedCaseEntry
    stage: Stage


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
    closed_cases: list[ClosedCaseEntry] = Field(default_factory=list, description="R17")
    ended_calls: list[EndedCallEntry] = Field(
        default_factory=list, description="R4a: calls or meetings ended after an ask, and their ground rules"
    )
    contact_count: int = Field(default=0, description="contacts in the party's log (from its file)")
    recent_contacts: list[ContactAnswer] = Field(
        default_factory=list,
        description="the contact gate's latest answers, newest first, from the party's file: the workflow's "
        "own status query leaves them out (a contact adds nothing to its history)",
    )
    loading: bool = False
