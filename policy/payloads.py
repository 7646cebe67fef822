"""The party workflow's input and its activities' inputs and outputs."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from policy.dates import DEFAULT_TIMEZONE
from policy.effects import Effect
from policy.letters import LetterContent
from policy.messages import PartyRef
from policy.state import PartyState
from policy.vocabulary import NoticeStatus, Role, TaskKind


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
    letters: list[LetterContent] = Field(default_factory=list, description="R10: letters due, not yet made")


# --- notices and digests by mail --------------------------------------------


class MailRetry(BaseModel):
    """How long a mail is retried, with back-off, while the mail server is down or
    pushes back; then it is given up as undeliverable. From the settings, through
    the schedule's workflow input (the workflow reads no settings)."""

    first_seconds: float = Field(gt=0)
    max_seconds: float = Field(gt=0)
    attempts: int = Field(ge=1)


class NoticeDispatchInput(BaseModel):
    """The notice dispatch workflow's one argument."""

    batch: int = Field(default=100, ge=1, description="notices sent at most per run; a full batch continues as new")
    retry: MailRetry


class QueuedNotices(BaseModel):
    limit: int = Field(ge=1)


class NoticeRef(BaseModel):
    notice_id: str


class NoticeDelivery(BaseModel):
    """What became of one notice: the send activity's answer, which the dispatch records."""

    notice_id: str
    status: NoticeStatus
    at: datetime
    recipients: list[str] = Field(default_factory=list, description="staff ids the mail went to")
    not_reached: list[str] = Field(
        default_factory=list, description="'staff-id: why' for each who may decide the task but got no mail"
    )
    problem: str | None = Field(default=None, description="why it was skipped or is undeliverable")
    already_closed: bool = Field(default=False, description="closed by an earlier dispatch: nothing to record")


class DispatchReport(BaseModel):
    """A dispatch run's result, as the Temporal UI shows it: notice ids by what became of them."""

    sent: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
    undeliverable: list[str] = Field(default_factory=list)


class DigestInput(BaseModel):
    """The daily digest workflow's one argument."""

    timezone: str = Field(description="the body's time zone: the digest's day is the local date")
    retry: MailRetry


class DigestDay(BaseModel):
    day: date


class DigestPlan(BaseModel):
    """Who gets a digest today, if today is a working day."""

    day: date
    working_day: bool
    staff_ids: list[str] = Field(default_factory=list, description="active, opted in, with an email address")


class DigestFor(BaseModel):
    staff_id: str
    day: date

    @property
    def digest_id(self) -> str:
        """The idempotency key: one digest per person per day."""
        return f"{self.staff_id}:{self.day.isoformat()}"


class DigestDelivery(BaseModel):
    """What became of one person's digest; `task_ids` in the order the mail lists them."""

    staff_id: str
    day: date
    at: datetime
    sent: bool = Field(description="False: they had no open task, or it went already")
    already_sent: bool = False
    task_ids: list[str] = Field(default_factory=list)


class DigestReport(BaseModel):
    day: date
    working_day: bool
    sent_to: list[str] = Field(default_factory=list)
    nothing_for: list[str] = Field(default_factory=list, description="opted in, but with no open task")
    undeliverable: dict[str, str] = Field(default_factory=dict, description="staff id: why")


# --- letters (R10) -------------------------------------------------------------


class LetterRequest(BaseModel):
    """Input of the letter activity: what the letter says, and when the workflow asked
    (the activity runs on the wall clock; the letter keeps the workflow's time)."""

    letter: LetterContent
    requested_at: datetime


class LetterMade(BaseModel):
    letter_id: str
    content_hash: str
    stored: bool = Field(description="False: a letter with this id was on file already")
