"""The party's file (R3) as database tables.

Every table keeps the columns that reports and staff query on; asks,
warnings, restrictions and tasks also keep the whole entry as JSON in
`data`, so a new workflow run can rebuild its `PartyState` exactly. These
models never cross into Temporal payloads.

Tables whose order matters to the state (asks, warnings, restrictions,
tasks, stage changes, rejections) have an autoincrement `seq` as primary key
and their business id as a unique key: `seq` is the order the rules produced
the entries in, which no timestamp on the entry gives (an ask may be
backdated; several entries may share one workflow instant).
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Index, LargeBinary, Text, false
from sqlalchemy import text as sql_text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware in UTC.

    SQLite has no time zone type and returns naive values; PostgreSQL returns
    values in the session's time zone. Both come back as aware UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value!r}")
        utc = value.astimezone(UTC)
        # SQLite stores text: one fixed offset keeps ORDER BY and comparisons right.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=JSON, **kwargs)


class Fenced(SQLModel):
    """The columns of a row saved whole (last write wins) that fence its writes (records.writes).

    `fence_run` is the run of the party's workflow that wrote the row (when it started,
    in milliseconds) and `fence_step` where in that run's writes the save came
    (policy.effects.EffectBatch.step): a save that comes before the one the row holds,
    from a worker whose workflow task had timed out, changes nothing.
    """

    fence_run: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    fence_step: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


class PartyRow(Fenced, table=True):
    __tablename__ = "party"
    # The parties list finds a party by the start of its id (records.party_list: LIKE 'p-01%'). A
    # PostgreSQL database not in the C collation serves such a prefix only from a pattern index
    # (issue 30: a sequential scan of every party otherwise). SQLite's LIKE ignores case and can
    # use no index: there the index is kept empty (WHERE false), costing no write.
    __table_args__ = (
        Index(
            "ix_party_id_pattern",
            "party_id",
            postgresql_ops={"party_id": "varchar_pattern_ops"},
            sqlite_where=false(),
        ),
    )

    party_id: str = Field(primary_key=True)
    kind: str
    professional_capacity: bool
    stage: str = Field(index=True)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    # The revision of the latest batch its workflow wrote (records.writes: fencing).
    written_revision: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incident"
    # A timeline page (records.timeline) counts and pages a party's incidents in date order.
    __table_args__ = (Index("ix_incident_party_occurred", "party_id", "occurred_at", "incident_id"),)

    incident_id: str = Field(primary_key=True)
    party_id: str = Field(index=True)
    category: str = Field(index=True)
    behaviour_code: str
    occurred_at: datetime = _utc(index=True)
    received_at: datetime = _utc()
    reported_by: str
    experienced_by: str | None = None
    channel: str
    case_reference: str | None = Field(default=None, index=True)
    summary: str = ""


class AskRow(Fenced, table=True):
    __tablename__ = "ask"

    seq: int | None = Field(default=None, primary_key=True)
    ask_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    asked_at: datetime = _utc()
    asked_by: str
    categories: list[str] = _json()
    data: dict[str, Any] = _json()


class EndedCallRow(Fenced, table=True):
    """R4a: a call or meeting ended after an ask; `data` is the whole entry, its ground rules included."""

    __tablename__ = "ended_call"

    seq: int | None = Field(default=None, primary_key=True)
    # One row per call and party, "{party_id}:{call_id}": a case system's call id names
    # a call within its party, so another party's same id never moves this row.
    call_key: str = Field(unique=True)
    party_id: str = Field(index=True)
    call_id: str
    ask_id: str
    channel: str
    ended_at: datetime = _utc()
    ended_by: str
    # When its ground rules were agreed (null: none were set), for the board report (R10a).
    ground_rules_agreed_at: datetime | None = _utc(default=None)
    data: dict[str, Any] = _json()


class WarningRow(Fenced, table=True):
    __tablename__ = "warning"
    # A party's live warnings, counted for each party a list shows (migration 0018).
    __table_args__ = (Index("ix_warning_party_status", "party_id", "status"),)

    seq: int | None = Field(default=None, primary_key=True)
    warning_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    status: str = Field(index=True)
    categories: list[str] = _json()
    communicated_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)
    issued_by: str
    method: str
    data: dict[str, Any] = _json()


class RestrictionRow(Fenced, table=True):
    __tablename__ = "restriction"
    # A party's restrictions in force, counted for each party a list shows (migration 0018).
    __table_args__ = (Index("ix_restriction_party_status", "party_id", "status"),)

    seq: int | None = Field(default=None, primary_key=True)
    restriction_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    status: str = Field(index=True)
    grounds: str
    categories: list[str] = _json()
    measures: list[str] = _json()
    proposed_by: str
    decided_at: datetime = _utc()
    starts_at: datetime | None = _utc(default=None)
    ends_at: datetime | None = _utc(default=None, index=True)
    ended_at: datetime | None = _utc(default=None)
    last_instance_at: datetime = _utc()
    recurrence_window_ends_at: datetime | None = _utc(default=None)
    replaces_restriction_id: str | None = None
    data: dict[str, Any] = _json()


class StageChangeRow(SQLModel, table=True):
    __tablename__ = "stage_change"

    seq: int | None = Field(default=None, primary_key=True)
    change_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    from_stage: str
    to_stage: str
    at: datetime = _utc()
    reason: str


_OPEN_TASK = sql_text("status = 'open'")


class TaskRow(Fenced, table=True):
    """A human task; `data` is the whole `HumanTask`, decisions included."""

    __tablename__ = "task"
    # The task list (records.task_list) reads open tasks only, in one of its orders, a page at a
    # time: partial indexes of the open tasks serve each order, however many closed ones the
    # file keeps (migration 0016).
    __table_args__ = (
        Index("ix_task_open_due", "due_at", "seq", postgresql_where=_OPEN_TASK, sqlite_where=_OPEN_TASK),
        Index("ix_task_open_kind_due", "kind", "due_at", "seq", postgresql_where=_OPEN_TASK, sqlite_where=_OPEN_TASK),
        Index("ix_task_open_created", "created_at", "seq", postgresql_where=_OPEN_TASK, sqlite_where=_OPEN_TASK),
        # A party's open tasks, counted for each party a list shows (migration 0018).
        Index("ix_task_open_party", "party_id", postgresql_where=_OPEN_TASK, sqlite_where=_OPEN_TASK),
    )

    seq: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    kind: str = Field(index=True)
    status: str = Field(index=True)
    subject_id: str
    created_at: datetime = _utc()
    summary: str
    due_at: datetime | None = _utc(default=None, index=True)
    escalated: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    candidate_roles: list[str] = _json(default_factory=list)
    # Candidates, joined by the escalation roles once the task escalated.
    deciding_roles: list[str] = _json(default_factory=list)
    excluded_staff: list[str] = _json(default_factory=list)
    # Past its escalation's due date (R7), for the task list's overdue filter; as in `data`.
    overdue_since: datetime | None = _utc(default=None)
    # A withdrawn task (status `cancelled`): when, why, and the incident that
    # withdrew it (R12: it moved the end the task was about).
    cancelled_at: datetime | None = _utc(default=None)
    cancellation_reason: str | None = None
    cancelled_by_incident_id: str | None = None
    data: dict[str, Any] = _json()
    # Who works the task now (policy.claims), kept by the records database alone: the
    # workflow's writes name only the task's own fields, so they leave these as they are.
    # An open task keeps the file live anyway, so these instants put off no erasure (R3).
    claimed_by: str | None = Field(default=None, index=True)
    claimed_at: datetime | None = _utc(default=None)
    # Who gave it to them, when they did not claim it themselves.
    assigned_by: str | None = None
    # A decision being sent (records.task_claims): while it is, nobody may take the task
    # over, so that an assignment never races a decision.
    deciding_by: str | None = None
    deciding_since: datetime | None = _utc(default=None)


class TaskClaimEventRow(SQLModel, table=True):
    """The task's claim log: who claimed, gave back, assigned or reassigned it, and when."""

    __tablename__ = "task_claim_event"
    # Who works a task is not activity on the party's file: it does not put off R3's
    # retention; the log goes with the file.
    __table_args__ = {"info": {"activity": False}}

    seq: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(index=True)
    party_id: str = Field(index=True)
    at: datetime = _utc()
    change: str
    # Who acted (the signed-in member of staff), who held the task before, and who after.
    changed_by: str
    previous_holder: str | None = None
    holder: str | None = None
    reason: str = ""


class StaffRow(SQLModel, table=True):
    """A member of staff and the roles they hold (R7, R16): who may decide tasks."""

    __tablename__ = "staff"

    staff_id: str = Field(primary_key=True)
    name: str
    roles: list[str] = _json(default_factory=list)
    active: bool = True
    # Where notices go; validated and normalised by `StaffDirectory`. Someone
    # without one gets no mail, and is reported on each notice they miss.
    email: str | None = None
    # They asked for the daily digest of their open tasks.
    digest: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # "person", or "system": a case system's own account, which holds the role
    # case_system and acts for the staff named in `acts_for` ("*": any active staff).
    kind: str = Field(default="person", sa_column_kwargs={"server_default": "person"})
    acts_for: list[str] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    # The subject (`sub`) the body's identity provider gives this person: who signs in
    # to the inbox as them. None: they cannot sign in to the inbox.
    idp_subject: str | None = Field(default=None, unique=True, index=True)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class DecisionRow(SQLModel, table=True):
    """A decision on a human task: who, in which role, when, how and why."""

    __tablename__ = "decision"

    seq: int | None = Field(default=None, primary_key=True)
    decision_id: str = Field(unique=True)
    task_id: str = Field(index=True)
    party_id: str = Field(index=True)
    decided_by: str = Field(index=True)
    role: str
    outcome: str
    reason: str = ""
    decided_at: datetime = _utc()
    data: dict[str, Any] = _json()


class AdjustmentRow(Fenced, table=True):
    """R16: a requested reasonable adjustment and what became of it."""

    __tablename__ = "adjustment"

    seq: int | None = Field(default=None, primary_key=True)
    adjustment_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    status: str = Field(index=True)
    requested_at: datetime = _utc()
    recorded_by: str
    advice_task_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = _utc(default=None)
    data: dict[str, Any] = _json()


class NoticeRow(SQLModel, table=True):
    """A notice to staff about a task, queued by the party workflow; the notice
    dispatch mails it and closes it (`status`, a `NoticeStatus`)."""

    __tablename__ = "notice"

    seq: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    task_id: str = Field(index=True)
    kind: str
    roles: list[str] = _json(default_factory=list)
    at: datetime = _utc()
    text: str
    sent_at: datetime | None = _utc(default=None, index=True)
    # A server default, so rows queued before the column existed are queued too
    # (`sql_text`: this table has a column called `text`).
    status: str = Field(default="queued", index=True, sa_column_kwargs={"server_default": sql_text("'queued'")})
    # When it left the queue: sent, skipped or given up.
    closed_at: datetime | None = _utc(default=None)
    recipients: list[str] | None = _json(default=None)
    not_reached: list[str] | None = _json(default=None)
    problem: str | None = None


class DigestRow(SQLModel, table=True):
    """A daily digest sent to a member of staff: one per person per day."""

    __tablename__ = "digest"

    seq: int | None = Field(default=None, primary_key=True)
    # `staff_id:day`, the idempotency key (`DigestFor.digest_id`).
    digest_id: str = Field(unique=True)
    staff_id: str = Field(index=True)
    day: date
    task_ids: list[str] = _json(default_factory=list)
    sent_at: datetime = _utc()


class RejectionRow(SQLModel, table=True):
    __tablename__ = "rejected_message"

    seq: int | None = Field(default=None, primary_key=True)
    # A hash of the whole rejection: a rejection carries no id of its own
    # (message_id may be missing), and a retried write must record it once.
    rejection_key: str = Field(unique=True)
    party_id: str = Field(index=True)
    received_at: datetime = _utc()
    message: str
    message_id: str | None = None
    reason: str
    payload: str = ""


class ApiTokenRow(SQLModel, table=True):
    """A bearer token for the HTTP API and the inbox, for one member of staff.

    Only the token's SHA-256 is kept: the token itself is shown once, when it
    is issued, and a copy of this table lets nobody sign in.
    """

    __tablename__ = "api_token"

    token_sha256: str = Field(primary_key=True)
    staff_id: str = Field(index=True)
    created_at: datetime = _utc()
    # Refused from then on; `ubp tokens issue --days` sets it.
    expires_at: datetime = _utc()
    # When it last signed a request in (None: never), so an unused token can be found and revoked.
    last_used_at: datetime | None = _utc(default=None, nullable=True)


class WebSessionRow(SQLModel, table=True):
    """A member of staff signed in to the inbox through the identity provider.

    Only the session id's SHA-256 is kept, as for tokens: a copy of this table signs
    nobody in. A session ends (its row goes) at sign-out, at its idle or absolute
    timeout, and when its holder is deactivated or their roles change.
    """

    __tablename__ = "web_session"

    session_sha256: str = Field(primary_key=True)
    staff_id: str = Field(index=True)
    # The roles the session acts in, as known at sign-in (from the staff list, or
    # from the provider's claims for someone who is not on it).
    roles: list[str] = _json(default_factory=list)
    # The synchroniser token every form of this session carries (CSRF).
    csrf_token: str
    created_at: datetime = _utc()
    last_seen_at: datetime = _utc()
    # The absolute timeout: the session ends then, however active.
    expires_at: datetime = _utc()


class SecurityEventRow(SQLModel, table=True):
    """One security event (sign-in, sign-out, refusal, token issued ...): what, when, for
    which account. Never personal data: no names, addresses, IP addresses or party ids;
    `route` is the route's template (`/parties/{party_id}`), not the path asked for."""

    __tablename__ = "security_event"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    kind: str = Field(index=True)
    staff_id: str | None = Field(default=None, index=True)
    detail: str | None = None
    route: str | None = None
    status: int | None = None


class DecodeAuditRow(SQLModel, table=True):
    """One call to the codec endpoint's decode: who read decrypted Temporal payloads, when, and how many.

    Never what they read: the content stays encrypted at rest.
    """

    __tablename__ = "decode_audit"

    seq: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(index=True)
    at: datetime = _utc()
    namespace: str
    payload_count: int


class ClosedCaseRow(SQLModel, table=True):
    """R17: a case closed with notice that no further reply will be made."""

    __tablename__ = "closed_case"

    seq: int | None = Field(default=None, primary_key=True)
    # One closure per case and party: "{party_id}:{case_reference}".
    closure_key: str = Field(unique=True)
    party_id: str = Field(index=True)
    case_reference: str = Field(index=True)
    closed_at: datetime = _utc()
    closed_by: str
    recorded_at: datetime = _utc()
    data: dict[str, Any] = _json()


class ContactRow(SQLModel, table=True):
    """The contact log: each inbound contact and the gate's answer (`data`, a `ContactAnswer`).

    Written by the contact gate (services.contacts), not by the workflow: a
    contact adds nothing to the party's workflow history.
    """

    __tablename__ = "contact"
    # A volume limit counts a party's contacts in a period.
    __table_args__ = (Index("ix_contact_party_received", "party_id", "received_at"),)

    contact_id: str = Field(primary_key=True)
    party_id: str = Field(index=True)
    received_at: datetime = _utc()
    channel: str
    case_reference: str | None = None
    handling: str = Field(index=True)
    respond_by: date | None = None
    possible_breach: bool = False
    answered_at: datetime = _utc()
    data: dict[str, Any] = _json()


class ErasureHoldRow(SQLModel, table=True):
    """A party whose file is being erased (R3): a new run of its workflow waits to read the file
    until the erasure is done, so it never starts from a file about to go.

    Not part of the party's file (no `party_id` column: records.retention finds a file by that),
    so it counts neither as activity nor among the rows an erasure removes; the erasure removes
    it in the same transaction as the file.
    """

    __tablename__ = "erasure_hold"

    held_party_id: str = Field(primary_key=True)
    erasure_id: str
    since: datetime = _utc()


class MessageIdRow(SQLModel, table=True):
    """Which party each id a case system chose belongs to (services.message_ids).

    The party's own workflow keeps ids unique within the party; this register
    keeps them unique across parties, claimed at the door before the message
    is sent, so an id reused for another party is refused there rather than
    dropped by the file's insert-if-absent writes (or moved by its upserts).
    """

    __tablename__ = "message_id"

    kind: str = Field(primary_key=True)
    message_id: str = Field(primary_key=True)
    party_id: str = Field(index=True)
    claimed_at: datetime = _utc()


class ImportedPartyRow(SQLModel, table=True):
    """A party adopted by `ubp import`: written with the party's file in one
    transaction, so a re-run imports nothing twice and resumes where it stopped."""

    __tablename__ = "imported_party"

    party_id: str = Field(primary_key=True)
    # A hash of the party's lines: the same party from different lines is refused.
    digest: str
    lines: int
    imported_at: datetime = _utc()
    # Something is live: the party's workflow must run (else the next message starts it).
    live: bool
    workflow_started_at: datetime | None = _utc(default=None)
    # Who signed in to import it (a manager, or the case system's account); none before 0007.
    imported_by: str | None = None


class LetterRow(SQLModel, table=True):
    """R10: a letter to the party explaining a decision, as made (HTML and PDF) and
    when it was sent; one per decision (`letter_id`, from the decision's id)."""

    __tablename__ = "letter"

    seq: int | None = Field(default=None, primary_key=True)
    letter_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    kind: str = Field(index=True)
    subject_id: str
    format: str
    decided_at: datetime = _utc()
    produced_at: datetime = _utc()
    # SHA-256 of the HTML and the PDF: what was sent can be shown to be what is on file.
    content_hash: str
    html: str = Field(sa_type=Text)
    pdf: bytes = Field(sa_type=LargeBinary)
    sent_at: datetime | None = _utc(default=None)
    # How the case system sent it (a `SendingMethod`); set with `sent_at`, once.
    sent_method: str | None = None
    data: dict[str, Any] = _json()


class LetterReadRow(SQLModel, table=True):
    """R10: one download of a letter's HTML or PDF: who, when, which and through which door.

    A letter is personal data: who read one is kept as codec decodes are, without
    the content. Part of the party's file (`party_id`), so R3's erasure takes it too.
    """

    __tablename__ = "letter_read"
    # Reading a file is not activity on it: a download does not put off R3's retention.
    __table_args__ = {"info": {"activity": False}}

    seq: int | None = Field(default=None, primary_key=True)
    letter_id: str = Field(index=True)
    party_id: str = Field(index=True)
    staff_id: str = Field(index=True)
    part: str  # "pdf" or "html"
    door: str  # "api" or "inbox" ("cli" in rows from before the CLI went through the API)
    at: datetime = _utc()


class ActedRow(SQLModel, table=True):
    """Who acted on a party's file: the authenticated principal of each message applied,
    as the door sealed it (policy.authority), once per message.

    `actor` is the member of staff (or the case system acting for itself), `via`
    the case system that carried it for them, `door` where they were
    authenticated, `key_id` the door key that sealed it.
    """

    __tablename__ = "acted"
    # A timeline page reads who acted for its own incidents, and for the rest of the file.
    __table_args__ = (Index("ix_acted_party_kind", "party_id", "message_kind", "message_id"),)

    act_key: str = Field(primary_key=True)
    party_id: str = Field(index=True)
    message_kind: str
    message_id: str
    actor: str = Field(index=True)
    role: str
    via: str | None = None
    door: str
    key_id: str
    sealed_at: datetime = _utc()
    recorded_at: datetime = _utc()


class FileReadRow(SQLModel, table=True):
    """One read of a party's file (its status, timeline or letters): who, carried by
    which system, what, through which door, when. Never the content.

    Part of the party's file (`party_id`), so R3's erasure takes it too.
    """

    __tablename__ = "file_read"
    # Reading a file is not activity on it: a read does not put off R3's retention.
    __table_args__ = {"info": {"activity": False}}

    seq: int | None = Field(default=None, primary_key=True)
    party_id: str = Field(index=True)
    staff_id: str = Field(index=True)
    via: str | None = None
    what: str
    door: str
    at: datetime = _utc()


class CorrectionRow(SQLModel, table=True):
    """Art. 16: a correction to a record on the party's file, or the person's statement that they
    dispute it; the record itself is never changed. Who added it as the door authenticated them.

    Written by services.corrections, not by the workflow: the rules never act on it.
    """

    __tablename__ = "correction"
    # Not activity on the file (R3): a statement added at the person's request must not keep
    # their file past the period counted from what happened; it goes with the file.
    __table_args__ = {"info": {"activity": False}}

    seq: int | None = Field(default=None, primary_key=True)
    correction_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    kind: str
    about_kind: str
    about_id: str
    text: str = Field(sa_type=Text)
    recorded_at: datetime = _utc()
    recorded_by: str
    role: str
    via: str | None = None
    door: str
    # The letter it was put on (`letter`), if it was.
    letter_id: str | None = None


class RemovalLogRow(SQLModel, table=True):
    """R3: every retention sweep and erasure request, done or refused: who, when,
    how many and why. Never the content of what went.

    An erasure request names its party in `erased_party_id`, to answer "was this
    party erased, when, at whose request". That column is not called `party_id`
    on purpose: every table with a `party_id` column is part of a party's file,
    and goes when the file goes (`records.retention`).
    """

    __tablename__ = "removal_log"

    seq: int | None = Field(default=None, primary_key=True)
    # The sweep's or erasure's workflow id: recorded once, however often retried.
    log_id: str = Field(unique=True)
    kind: str = Field(index=True)
    outcome: str
    at: datetime = _utc(index=True)
    by: str
    role: str | None = None
    reason: str
    erased_party_id: str | None = Field(default=None, index=True)
    forced: bool = False
    parties: int = 0
    held: int = 0
    executions: int = 0
    rows: dict[str, int] = _json(default_factory=dict)


class EventRow(SQLModel, table=True):
    """The outbox (issue 25): one event a case system hears (policy.events), written in the same
    transaction as the change it reports (records.outbox), so none is invented or lost.

    `party_seq` counts the party's own events; `position`, given once the event is committed
    (records.outbox.sequence), orders every party's events for the feed and the deliveries.
    `data` keeps the event's free text too: the feed and each subscription leave out what they
    are not allowed. Part of the party's file (`party_id`), so it goes with the file (R3).
    """

    __tablename__ = "event"
    # Events repeat what the file says: they are not activity of their own (R3).
    __table_args__ = (
        Index("ix_event_party_seq", "party_id", "party_seq", unique=True),
        {"info": {"activity": False}},
    )

    seq: int | None = Field(default=None, primary_key=True)
    position: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    event_id: str = Field(unique=True)
    party_id: str = Field(index=True)
    party_seq: int
    type: str = Field(index=True)
    at: datetime = _utc()
    recorded_at: datetime = _utc()
    data: dict[str, Any] = _json()


class EventClockRow(SQLModel, table=True):
    """The last event position given (one row): locked by each sequencing of new events to its
    commit (records.outbox.sequence), so positions are committed in order, and the feed's cursor
    never skips one."""

    __tablename__ = "event_clock"

    clock_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    position: int = Field(default=0, sa_type=BigInteger)


class WebhookRow(SQLModel, table=True):
    """A case system's webhook subscription (services.webhooks): where, which events, which free text.

    The signing secret is kept encrypted (AES-GCM under the key ring's key `secret_key_id`), so a
    copy of the database does not give it away. Who added and removed it, and when, stay on record.
    """

    __tablename__ = "webhook"

    webhook_id: str = Field(primary_key=True)
    url: str
    secret_key_id: str
    secret_sealed: bytes = Field(sa_type=LargeBinary)
    types: list[str] = _json(default_factory=list)
    text_fields: list[str] = _json(default_factory=list)
    active: bool = True
    created_at: datetime = _utc()
    created_by: str
    removed_at: datetime | None = _utc(default=None)
    removed_by: str | None = None
    # The last event position looked at for it: later events become its deliveries.
    scanned_position: int = Field(default=0, sa_type=BigInteger)


class DeliveryRow(SQLModel, table=True):
    """One event owed to one subscription, and what became of it: pending (with its next
    attempt), delivered, or failed (its retries ran out; `ubp webhooks replay` sends it again)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "webhook_id", "status", "party_id", "position"),
        {"info": {"activity": False}},
    )

    delivery_key: str = Field(primary_key=True)  # "{webhook_id}:{position}"
    webhook_id: str = Field(index=True)
    position: int = Field(sa_type=BigInteger)
    event_id: str
    party_id: str = Field(index=True)
    type: str
    status: str = Field(index=True)
    attempts: int = 0
    first_attempt_at: datetime | None = _utc(default=None)
    next_attempt_at: datetime = _utc()
    last_attempt_at: datetime | None = _utc(default=None)
    delivered_at: datetime | None = _utc(default=None)
    last_status: int | None = None
    last_error: str | None = None
