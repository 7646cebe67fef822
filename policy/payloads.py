"""The workflows' inputs and their activities' inputs and outputs."""

from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, Field, model_validator

from policy.dates import DEFAULT_TIMEZONE
from policy.effects import Effect
from policy.fields import Authority
from policy.letters import LetterContent
from policy.messages import PartyRef
from policy.state import IncidentBrief, PartyState
from policy.vocabulary import FORCED_ERASURE_ROLES, NoticeStatus, RemovalKind, RemovalOutcome, Role, TaskKind


class LoadPartyInput(BaseModel):
    """Input of the load activity: a new run reads the party's file."""

    party: PartyRef
    timezone: str


class IncidentLookup(BaseModel):
    """Input of the recall activity: incidents a message names that the run does not carry."""

    party_id: str
    incident_ids: list[str]
    received_before: datetime = Field(
        description="the run's start: an incident on file received since was written by this run in an "
        "attempt that was lost (a worker killed after its write), so it is not a duplicate"
    )


class RecalledIncidents(BaseModel):
    """Those of them on the party's file; an id left out is not on file."""

    briefs: dict[str, IncidentBrief] = Field(default_factory=dict)


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
    timer_spread_seconds: int = Field(
        default=0,
        ge=0,
        le=3600,
        description="the party wakes for a deadline up to this long after it, by a fixed offset of its own "
        "(workflows.party.timer_offset): deadlines every party shares do not wake them all at once",
    )


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


# --- retention and erasure (R3) ----------------------------------------------


class RemovalTotals(BaseModel):
    """How much a sweep or an erasure removed: counts only, never the content."""

    parties: int = Field(default=0, description="parties whose file was removed")
    held: int = Field(default=0, description="parties past the retention period kept because something is live")
    executions: int = Field(default=0, description="closed workflow runs deleted from Temporal")
    rows: dict[str, int] = Field(default_factory=dict, description="rows removed, by table")

    def add(self, outcome: "ErasureOutcome") -> None:
        if outcome.erased:
            self.parties += 1
            self.executions += outcome.executions
            for table, count in outcome.rows.items():
                self.rows[table] = self.rows.get(table, 0) + count
        else:
            self.held += 1


class RetentionSweepInput(BaseModel):
    """The retention sweep's one argument: from the schedule, or `ubp retention apply`.

    Any Temporal client may start a sweep, so nothing here decides what goes: the
    worker's own settings give the retention period and the time zone
    (`activities.retention.RetentionActivities`).
    """

    years: int | None = Field(
        default=None,
        ge=1,
        description="the period the asker expected, if any, for the log only: the worker's UBP_RETENTION_YEARS decides",
    )
    by: str = Field(min_length=1, description="who asked: a staff id, or the schedule's id")
    reason: str = Field(min_length=1)
    # Carried across continue-as-new: parties are taken in id order, a batch per run.
    sweep_id: str | None = Field(default=None, description="the first run's workflow id: the removal log's key")
    after: str | None = Field(default=None, description="the last party id the previous run looked at")
    totals: RemovalTotals = Field(default_factory=RemovalTotals)


class RetentionQuery(BaseModel):
    now: datetime = Field(description="the workflow's time: the worker's retention period counts back from it")
    after: str | None = None
    limit: int = Field(ge=1)


class PartyCheck(BaseModel):
    party_id: str
    workflow_id: str
    now: datetime = Field(description="the workflow's time: what is live is judged then, not on the worker's clock")


class PartyLiveness(BaseModel):
    live: list[str] = Field(default_factory=list, description="what in the file is live, in words")
    running: bool = Field(default=False, description="a run of the party's workflow is running")


class PartyRunsRemoval(BaseModel):
    workflow_id: str
    force: bool = Field(default=False, description="terminate and delete a running run too")


class RunsRemoved(BaseModel):
    deleted: int = 0
    running: bool = Field(default=False, description="a run was running, and was left alone (not forced)")


class PartyFileErasure(BaseModel):
    party_id: str


class PartyFileHold(BaseModel):
    """An erasure's hold on a party's file: a new run waits to read it until the erasure is done."""

    party_id: str
    erasure_id: str
    at: datetime


class FileErased(BaseModel):
    rows: dict[str, int] = Field(default_factory=dict, description="rows removed, by table")


class ErasureRequest(BaseModel):
    """An erasure request for one party (`ubp party erase`, `POST /parties/{id}/erasure`): who
    asks, in which role, and why; sealed by the door (policy.authority) for one erasure."""

    party_id: str
    requested_by: str = Field(min_length=1)
    role: Role | None = Field(default=None, description="the role they act in; a senior one to force")
    reason: str = Field(min_length=1, max_length=4000)
    force: bool = Field(default=False, description="erase even though something about the party is live")
    erasure_id: str = Field(
        min_length=1, description="the erasure's workflow id: a seal holds for that erasure only, and only once"
    )
    authority: Authority | None = Field(default=None, description="the door's seal: who asked, as it signed them in")

    @model_validator(mode="after")
    def _forced_by_a_senior_role(self) -> Self:
        if self.force and self.role not in FORCED_ERASURE_ROLES:
            roles = " or ".join(sorted(r.value for r in FORCED_ERASURE_ROLES))
            raise ValueError(f"R3: only someone acting as {roles} may force an erasure (--role)")
        return self


class ErasureOutcome(BaseModel):
    party_id: str
    erased: bool
    live: list[str] = Field(default_factory=list, description="what was live: why it was refused, or what was forced")
    refusal: str | None = Field(default=None, description="why the request itself was refused: its seal did not hold")
    forced: bool = False
    executions: int = 0
    rows: dict[str, int] = Field(default_factory=dict)


class RemovalRecord(BaseModel):
    """One line of the removal log: who, when, how many, why; never the content."""

    log_id: str = Field(description="the sweep's or erasure's workflow id: recorded once")
    kind: RemovalKind
    outcome: RemovalOutcome
    at: datetime
    by: str
    role: Role | None = None
    reason: str
    party_id: str | None = Field(default=None, description="an erasure request's party; none for a sweep")
    forced: bool = False
    totals: RemovalTotals
