"""Writing the rules' effects to the party's file (R3), and reading it back.

Writes are idempotent on keys the effects carry, so a retried activity, or a
batch written again by a new run, records everything once.
"""

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from policy.messages import PartyRef
from policy.state import (
    AdjustmentEntry,
    AdjustmentSaved,
    AskEntry,
    AskSaved,
    DecisionEntry,
    DecisionRecorded,
    EffectBatch,
    HumanTask,
    IncidentBrief,
    IncidentRecorded,
    MessageRejected,
    NoticeQueued,
    PartySaved,
    PartyState,
    Rejection,
    RestrictionEntry,
    RestrictionSaved,
    StageChanged,
    TaskSaved,
    WarningEntry,
    WarningSaved,
)
from policy.vocabulary import PartyKind, Role, Stage, TaskKind, TaskStatus
from records.tables import (
    AdjustmentRow,
    ApiTokenRow,
    AskRow,
    DecisionRow,
    IncidentRow,
    NoticeRow,
    PartyRow,
    RejectionRow,
    RestrictionRow,
    StageChangeRow,
    StaffRow,
    TaskRow,
    WarningRow,
)

# As many as the workflow keeps on its status (rules.record_rejection).
REJECTIONS_IN_STATE = 50

_INSERTS: dict[str, Callable[[Table], Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass(frozen=True)
class _Write:
    """How one kind of row is written: keyed on `key`; `upsert` means last write wins."""

    model: type[SQLModel]
    key: str
    upsert: bool
    # Columns an upsert leaves as first written.
    kept: tuple[str, ...] = ("seq",)

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[attr-defined]


# In this order: a party row exists before anything else is written for it.
_PARTY_IF_ABSENT = _Write(PartyRow, "party_id", upsert=False)
_PARTY = _Write(PartyRow, "party_id", upsert=True, kept=("created_at",))
_INCIDENT = _Write(IncidentRow, "incident_id", upsert=False)
_ASK = _Write(AskRow, "ask_id", upsert=True)
_WARNING = _Write(WarningRow, "warning_id", upsert=True)
_RESTRICTION = _Write(RestrictionRow, "restriction_id", upsert=True)
_TASK = _Write(TaskRow, "task_id", upsert=True)
_DECISION = _Write(DecisionRow, "decision_id", upsert=False)
_ADJUSTMENT = _Write(AdjustmentRow, "adjustment_id", upsert=True)
_NOTICE = _Write(NoticeRow, "notice_id", upsert=False)
_STAGE_CHANGE = _Write(StageChangeRow, "change_id", upsert=False)
_REJECTION = _Write(RejectionRow, "rejection_key", upsert=False)
_WRITE_ORDER = (
    _PARTY_IF_ABSENT,
    _PARTY,
    _INCIDENT,
    _ASK,
    _WARNING,
    _RESTRICTION,
    _TASK,
    _DECISION,
    _ADJUSTMENT,
    _NOTICE,
    _STAGE_CHANGE,
    _REJECTION,
)
_STAFF = _Write(StaffRow, "staff_id", upsert=True, kept=("created_at",))


class TaskListing(HumanTask):
    """An open task as the task list shows it: the `HumanTask` and its party."""

    party_id: str


class RecordStore:
    """The records database: every party's file.

    Args:
        engine: An engine from `records.db.make_engine` (SQLite or PostgreSQL).
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in _INSERTS:
            raise ValueError(f"the records database must be SQLite or PostgreSQL, not {engine.dialect.name}")
        self._engine = engine
        self._insert = _INSERTS[engine.dialect.name]
        # A new run must see one consistent file, even if a write lands mid-read.
        # SQLite's WAL readers get that already and reject this level's name.
        self._snapshot = (
            engine if engine.dialect.name == "sqlite" else engine.execution_options(isolation_level="REPEATABLE READ")
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    # --- writing -----------------------------------------------------------

    def apply(self, batch: EffectBatch) -> int:
        """Write a batch of effects to the file in one transaction.

        Idempotent: incidents, decisions, notices, stage changes and
        rejections are recorded once; the party, asks, warnings,
        restrictions, tasks and adjustments are saved whole, so the latest
        save of each wins. Applying the same batch twice changes nothing.

        Args:
            batch: The effects, in the order the rules produced them.

        Returns:
            The number of effects in the batch.
        """
        rows: dict[_Write, dict[str, dict[str, Any]]] = {write: {} for write in _WRITE_ORDER}

        def add(write: _Write, row: dict[str, Any]) -> None:
            pending = rows[write]
            key = row[write.key]
            if key not in pending:
                pending[key] = row
            elif write.upsert:
                # Re-assigning keeps the first position (the order entries were
                # created in) with the latest values.
                pending[key] = row | {column: pending[key][column] for column in write.kept if column in row}

        for effect in batch.effects:
            match effect:
                case PartySaved():
                    add(_PARTY, _party_row(effect.party, effect.stage, effect.at))
                case IncidentRecorded():
                    # The workflow saves the party only when its stage or profile
                    # changes; its first incident must still find a file to open.
                    add(_PARTY_IF_ABSENT, _party_row(effect.report.party, Stage.NONE, effect.received_at))
                    add(_INCIDENT, _incident_row(effect))
                case AskSaved():
                    add(_ASK, _ask_row(effect.party_id, effect.ask))
                case WarningSaved():
                    add(_WARNING, _warning_row(effect.party_id, effect.warning))
                case RestrictionSaved():
                    add(_RESTRICTION, _restriction_row(effect.party_id, effect.restriction))
                case TaskSaved():
                    add(_TASK, _task_row(effect.party_id, effect.task))
                case DecisionRecorded():
                    add(_DECISION, _decision_row(effect.party_id, effect.decision))
                case AdjustmentSaved():
                    add(_ADJUSTMENT, _adjustment_row(effect.party_id, effect.adjustment))
                case NoticeQueued():
                    add(_NOTICE, _notice_row(effect))
                case StageChanged():
                    add(_STAGE_CHANGE, _stage_change_row(effect))
                case MessageRejected():
                    add(_REJECTION, _rejection_row(effect.party_id, effect.rejection))
                case _:
                    raise TypeError(f"no record is kept for effect {type(effect).__name__}")

        with self._engine.begin() as connection:
            for write in _WRITE_ORDER:
                if rows[write]:
                    self._write(connection, write, list(rows[write].values()))
        return len(batch.effects)

    def _write(self, connection: Connection, write: _Write, rows: list[dict[str, Any]]) -> None:
        statement = self._insert(write.table)
        if write.upsert:
            replaced = {
                column: statement.excluded[column]
                for column in rows[0]
                if column != write.key and column not in write.kept
            }
            statement = statement.on_conflict_do_update(index_elements=[write.key], set_=replaced)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=[write.key])
        # A list of rows runs as one executemany, in order: the order gives `seq`.
        connection.execute(statement, rows)

    # --- rebuilding the workflow's state --------------------------------------

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
            incidents = session.exec(
                select(
                    IncidentRow.incident_id,
                    IncidentRow.category,
                    IncidentRow.occurred_at,
                    IncidentRow.experienced_by,
                    IncidentRow.reported_by,
                )
                .where(IncidentRow.party_id == pid)
                .order_by(IncidentRow.occurred_at, IncidentRow.incident_id)
            ).all()
            asks = session.exec(select(AskRow.data).where(AskRow.party_id == pid).order_by(AskRow.seq)).all()
            warnings = session.exec(
                select(WarningRow.data).where(WarningRow.party_id == pid).order_by(WarningRow.seq)
            ).all()
            restrictions = session.exec(
                select(RestrictionRow.data).where(RestrictionRow.party_id == pid).order_by(RestrictionRow.seq)
            ).all()
            tasks = session.exec(select(TaskRow.data).where(TaskRow.party_id == pid).order_by(TaskRow.seq)).all()
            adjustments = session.exec(
                select(AdjustmentRow.data).where(AdjustmentRow.party_id == pid).order_by(AdjustmentRow.seq)
            ).all()
            rejections = session.exec(
                select(RejectionRow)
                .where(RejectionRow.party_id == pid)
                .order_by(RejectionRow.seq.desc())  # type: ignore[union-attr]
                .limit(REJECTIONS_IN_STATE)
            ).all()
            stage_change_count = session.exec(
                select(func.count()).select_from(StageChangeRow).where(StageChangeRow.party_id == pid)
            ).one()
            activity_instants = [at for at in session.exec(_last_activity_at(pid)).one() if at is not None]
        return PartyState(
            party=PartyRef(
                party_id=pid, kind=PartyKind(row.kind), professional_capacity=row.professional_capacity
            ),
            timezone=timezone,
            stage=Stage(row.stage),
            incidents={
                # As the rules keep it: who experienced it, else who reported it (four eyes).
                incident_id: IncidentBrief(
                    category=category, occurred_at=occurred_at, colleague=experienced_by or reported_by
                )
                for incident_id, category, occurred_at, experienced_by, reported_by in incidents
            },
            incident_count=len(incidents),
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
                    payload=r.payload,
                )
                for r in reversed(rejections)
            ],
            stage_change_count=stage_change_count,
            last_activity_at=max(activity_instants, default=None),
        )

    # --- reading, for reports, the CLI and tests -------------------------------

    def party(self, party_id: str) -> PartyRow | None:
        """The party's row, or None if it has no file."""
        with Session(self._engine) as session:
            return session.get(PartyRow, party_id)

    def incidents(self, party_id: str) -> list[IncidentRow]:
        """The party's incidents, earliest first."""
        return self._rows(
            select(IncidentRow)
            .where(IncidentRow.party_id == party_id)
            .order_by(IncidentRow.occurred_at, IncidentRow.incident_id)
        )

    def asks(self, party_id: str) -> list[AskRow]:
        """The party's asks to stop (R4), in the order they were recorded."""
        return self._rows(select(AskRow).where(AskRow.party_id == party_id).order_by(AskRow.seq))

    def warnings(self, party_id: str) -> list[WarningRow]:
        """The party's warnings (R5), live and expired, in the order they were issued."""
        return self._rows(select(WarningRow).where(WarningRow.party_id == party_id).order_by(WarningRow.seq))

    def restrictions(self, party_id: str) -> list[RestrictionRow]:
        """The party's restrictions in every status, in the order they were proposed."""
        return self._rows(
            select(RestrictionRow).where(RestrictionRow.party_id == party_id).order_by(RestrictionRow.seq)
        )

    def stage_changes(self, party_id: str) -> list[StageChangeRow]:
        """The party's stage changes, oldest first."""
        return self._rows(
            select(StageChangeRow).where(StageChangeRow.party_id == party_id).order_by(StageChangeRow.seq)
        )

    def tasks(self, party_id: str | None = None, status: str | None = None) -> list[TaskRow]:
        """Human tasks, oldest first.

        Args:
            party_id: Only this party's tasks; all parties' if None.
            status: Only tasks in this status (a `TaskStatus`); any if None.
        """
        query = select(TaskRow).order_by(TaskRow.seq)
        if party_id is not None:
            query = query.where(TaskRow.party_id == party_id)
        if status is not None:
            query = query.where(TaskRow.status == status)
        return self._rows(query)

    def task(self, task_id: str) -> TaskRow | None:
        """One human task by its id, or None."""
        found = self._rows(select(TaskRow).where(TaskRow.task_id == task_id))
        return found[0] if found else None

    def open_tasks(
        self,
        *,
        role: Role | None = None,
        person: str | None = None,
        kind: TaskKind | None = None,
        party_id: str | None = None,
        due_before: datetime | None = None,
    ) -> list[TaskListing]:
        """The task list: open tasks, soonest due first (tasks not yet planned last).

        Args:
            role: Only tasks this role may decide now: a candidate role, or an
                escalation role once the task escalated (`HumanTask.deciding_roles`).
            person: Only tasks this member of staff may decide: active, holding
                one of the deciding roles, and not excluded (four eyes). An
                unknown or inactive person has none.
            kind: Only tasks of this kind.
            party_id: Only this party's tasks.
            due_before: Only tasks due before this instant (planned tasks only).

        Returns:
            Each task as the workflow last saved it, with its party id.
        """
        query = select(TaskRow.party_id, TaskRow.data).where(TaskRow.status == TaskStatus.OPEN.value)
        if kind is not None:
            query = query.where(TaskRow.kind == TaskKind(kind).value)
        if party_id is not None:
            query = query.where(TaskRow.party_id == party_id)
        if due_before is not None:
            query = query.where(TaskRow.due_at < due_before)  # type: ignore[operator]
        query = query.order_by(
            TaskRow.due_at.is_(None),  # type: ignore[union-attr]
            TaskRow.due_at,
            TaskRow.seq,
        )
        listed = [TaskListing.model_validate({**data, "party_id": pid}) for pid, data in self._rows(query)]
        if role is not None:
            listed = [t for t in listed if Role(role) in t.deciding_roles()]
        if person is not None:
            staff = self.staff(person)
            held = set(staff.roles) if staff is not None and staff.active else set()
            listed = [
                t
                for t in listed
                if person not in t.excluded_staff and held.intersection(r.value for r in t.deciding_roles())
            ]
        return listed

    def decisions(self, task_id: str | None = None, party_id: str | None = None) -> list[DecisionRow]:
        """Decisions on tasks, in the order they were recorded."""
        query = select(DecisionRow).order_by(DecisionRow.seq)
        if task_id is not None:
            query = query.where(DecisionRow.task_id == task_id)
        if party_id is not None:
            query = query.where(DecisionRow.party_id == party_id)
        return self._rows(query)

    def adjustments(self, party_id: str) -> list[AdjustmentRow]:
        """The party's requested adjustments (R16), in the order they were requested."""
        return self._rows(
            select(AdjustmentRow).where(AdjustmentRow.party_id == party_id).order_by(AdjustmentRow.seq)
        )

    def notices(self, party_id: str | None = None, unsent_only: bool = False) -> list[NoticeRow]:
        """Notices to staff, in the order they were queued.

        Args:
            party_id: Only this party's notices; all parties' if None.
            unsent_only: Only notices not yet marked sent.
        """
        query = select(NoticeRow).order_by(NoticeRow.seq)
        if party_id is not None:
            query = query.where(NoticeRow.party_id == party_id)
        if unsent_only:
            query = query.where(NoticeRow.sent_at.is_(None))  # type: ignore[union-attr]
        return self._rows(query)

    def mark_notice_sent(self, notice_id: str, at: datetime) -> bool:
        """Record that a notice was sent; the first time counts.

        Returns:
            True if the notice was unsent until now.
        """
        with self._engine.begin() as connection:
            result = connection.execute(
                update(NoticeRow)
                .where(NoticeRow.notice_id == notice_id, NoticeRow.sent_at.is_(None))  # type: ignore[union-attr]
                .values(sent_at=at)
            )
        return result.rowcount == 1

    # --- staff -------------------------------------------------------------------

    def add_staff(
        self, staff_id: str, name: str, roles: Sequence[Role], *, active: bool = True, at: datetime | None = None
    ) -> StaffRow:
        """Add a member of staff, or replace the name, roles and active flag of one already known.

        Args:
            staff_id: The id staff use in messages (`decided_by`, `proposed_by` ...).
            name: Their name.
            roles: The roles they hold (at least one).
            active: False for someone who no longer decides tasks.
            at: When; now if None.

        Returns:
            The row as stored.
        """
        staff_id = staff_id.strip()
        if not staff_id:
            raise ValueError("a staff id must not be empty")
        held = sorted({Role(r).value for r in roles})
        if not held:
            raise ValueError("a member of staff holds at least one role")
        now = at or datetime.now(UTC)
        row = {
            "staff_id": staff_id,
            "name": name,
            "roles": held,
            "active": active,
            "created_at": now,
            "updated_at": now,
        }
        with self._engine.begin() as connection:
            self._write(connection, _STAFF, [row])
        found = self.staff(staff_id)
        assert found is not None
        return found

    def set_staff_active(self, staff_id: str, active: bool, at: datetime | None = None) -> bool:
        """Mark a member of staff active or inactive; False if unknown."""
        with self._engine.begin() as connection:
            result = connection.execute(
                update(StaffRow)
                .where(StaffRow.staff_id == staff_id)  # type: ignore[arg-type]
                .values(active=active, updated_at=at or datetime.now(UTC))
            )
        return result.rowcount == 1

    def staff(self, staff_id: str) -> StaffRow | None:
        """One member of staff, or None."""
        with Session(self._engine) as session:
            return session.get(StaffRow, staff_id)

    def list_staff(self, role: Role | None = None, *, active_only: bool = False) -> list[StaffRow]:
        """Staff by id, all or those holding `role`."""
        rows: list[StaffRow] = self._rows(select(StaffRow).order_by(StaffRow.staff_id))
        if role is not None:
            rows = [r for r in rows if Role(role).value in r.roles]
        if active_only:
            rows = [r for r in rows if r.active]
        return rows

    def staff_holding(self, roles: Sequence[Role]) -> list[str]:
        """Ids of the active staff who hold any of `roles`, sorted."""
        wanted = {Role(r).value for r in roles}
        return [r.staff_id for r in self.list_staff(active_only=True) if wanted.intersection(r.roles)]

    # --- API tokens ----------------------------------------------------------------

    def issue_token(self, staff_id: str, at: datetime | None = None) -> str:
        """A new bearer token for a known member of staff; only its SHA-256 is stored.

        Args:
            staff_id: Who the token signs in as.
            at: When; now if None.

        Returns:
            The token, to hand to its holder: it cannot be read back later.

        Raises:
            ValueError: If the member of staff is unknown.
        """
        if self.staff(staff_id) is None:
            raise ValueError(f"unknown member of staff {staff_id!r}: add them with `ubp staff add`")
        token = f"ubp_{secrets.token_urlsafe(32)}"
        with Session(self._engine) as session:
            session.add(
                ApiTokenRow(token_sha256=_token_hash(token), staff_id=staff_id, created_at=at or datetime.now(UTC))
            )
            session.commit()
        return token

    def staff_for_token(self, token: str) -> StaffRow | None:
        """The member of staff a bearer token was issued to (active or not), or None."""
        with Session(self._engine) as session:
            row = session.get(ApiTokenRow, _token_hash(token))
            return session.get(StaffRow, row.staff_id) if row is not None else None

    def revoke_tokens(self, staff_id: str) -> int:
        """Withdraw every token of a member of staff; returns how many there were."""
        with self._engine.begin() as connection:
            result = connection.execute(delete(ApiTokenRow).where(ApiTokenRow.staff_id == staff_id))  # type: ignore[arg-type]
        return result.rowcount

    def rejections(self, party_id: str) -> list[RejectionRow]:
        """Every message rejected for the party, oldest first."""
        return self._rows(
            select(RejectionRow).where(RejectionRow.party_id == party_id).order_by(RejectionRow.seq)
        )

    def _rows(self, query: Any) -> list[Any]:
        with Session(self._engine) as session:
            return list(session.exec(query).all())


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain hash (no salt, no stretching) is
    # enough: nothing can be guessed from it, and it allows a keyed lookup.
    return hashlib.sha256(token.encode()).hexdigest()


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


# --- effects to rows ------------------------------------------------------------


def _party_row(party: PartyRef, stage: Stage, at: datetime) -> dict[str, Any]:
    return {
        "party_id": party.party_id,
        "kind": party.kind.value,
        "professional_capacity": party.professional_capacity,
        "stage": stage.value,
        "created_at": at,
        "updated_at": at,
    }


def _incident_row(effect: IncidentRecorded) -> dict[str, Any]:
    report = effect.report
    return {
        "incident_id": report.incident_id,
        "party_id": report.party.party_id,
        "category": report.category.value,
        "behaviour_code": report.behaviour_code,
        "occurred_at": report.occurred_at,
        "received_at": effect.received_at,
        "reported_by": report.reported_by,
        "experienced_by": report.experienced_by,
        "channel": report.channel,
        "case_reference": report.case_reference,
        "summary": report.summary,
    }


def _values(values: Sequence[Any]) -> list[str]:
    return [v.value for v in values]


def _ask_row(party_id: str, ask: AskEntry) -> dict[str, Any]:
    return {
        "ask_id": ask.ask_id,
        "party_id": party_id,
        "asked_at": ask.asked_at,
        "asked_by": ask.asked_by,
        "categories": _values(ask.categories),
        "data": ask.model_dump(mode="json"),
    }


def _warning_row(party_id: str, warning: WarningEntry) -> dict[str, Any]:
    return {
        "warning_id": warning.warning_id,
        "party_id": party_id,
        "status": warning.status.value,
        "categories": _values(warning.categories),
        "communicated_at": warning.communicated_at,
        "expires_at": warning.expires_at,
        "issued_by": warning.issued_by,
        "method": warning.method.value,
        "data": warning.model_dump(mode="json"),
    }


def _restriction_row(party_id: str, restriction: RestrictionEntry) -> dict[str, Any]:
    r = restriction
    return {
        "restriction_id": r.restriction_id,
        "party_id": party_id,
        "status": r.status.value,
        "grounds": r.grounds.value,
        "categories": _values(r.categories),
        "measures": _values(r.measures),
        "proposed_by": r.proposed_by,
        "decided_at": r.decided_at,
        "starts_at": r.starts_at,
        "ends_at": r.ends_at,
        "ended_at": r.ended_at,
        "last_instance_at": r.last_instance_at,
        "recurrence_window_ends_at": r.recurrence_window_ends_at,
        "replaces_restriction_id": r.replaces_restriction_id,
        "data": r.model_dump(mode="json"),
    }


def _task_row(party_id: str, task: HumanTask) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "party_id": party_id,
        "kind": task.kind.value,
        "status": task.status.value,
        "subject_id": task.subject_id,
        "created_at": task.created_at,
        "summary": task.summary,
        "due_at": task.due_at,
        "escalated": task.escalated_at is not None,
        "candidate_roles": _values(task.candidate_roles),
        "deciding_roles": _values(task.deciding_roles()),
        "excluded_staff": list(task.excluded_staff),
        "cancelled_at": task.cancelled_at,
        "cancellation_reason": task.cancellation_reason,
        "cancelled_by_incident_id": task.cancelled_by_incident_id,
        "data": task.model_dump(mode="json"),
    }


def _decision_row(party_id: str, decision: DecisionEntry) -> dict[str, Any]:
    return {
        "decision_id": decision.decision_id,
        "task_id": decision.task_id,
        "party_id": party_id,
        "decided_by": decision.decided_by,
        "role": decision.role.value,
        "outcome": decision.outcome.value,
        "reason": decision.reason,
        "decided_at": decision.decided_at,
        "data": decision.model_dump(mode="json"),
    }


def _adjustment_row(party_id: str, adjustment: AdjustmentEntry) -> dict[str, Any]:
    a = adjustment
    return {
        "adjustment_id": a.adjustment_id,
        "party_id": party_id,
        "status": a.status.value,
        "requested_at": a.requested_at,
        "recorded_by": a.recorded_by,
        "advice_task_id": a.advice_task_id,
        "decided_by": a.decided_by,
        "decided_at": a.decided_at,
        "data": a.model_dump(mode="json"),
    }


def _notice_row(effect: NoticeQueued) -> dict[str, Any]:
    return {
        "notice_id": effect.notice_id,
        "party_id": effect.party_id,
        "task_id": effect.task_id,
        "kind": effect.notice.value,
        "roles": _values(effect.roles),
        "at": effect.at,
        "text": effect.text,
    }


def _stage_change_row(effect: StageChanged) -> dict[str, Any]:
    return {
        "change_id": effect.change_id,
        "party_id": effect.party_id,
        "from_stage": effect.from_stage.value,
        "to_stage": effect.to_stage.value,
        "at": effect.at,
        "reason": effect.reason,
    }


def _rejection_row(party_id: str, rejection: Rejection) -> dict[str, Any]:
    received_at = rejection.received_at.astimezone(UTC)
    fingerprint = json.dumps(
        [party_id, received_at.isoformat(), rejection.message, rejection.message_id, rejection.reason, rejection.payload]
    )
    return {
        "rejection_key": hashlib.sha256(fingerprint.encode()).hexdigest(),
        "party_id": party_id,
        "received_at": received_at,
        "message": rejection.message,
        "message_id": rejection.message_id,
        "reason": rejection.reason,
        "payload": rejection.payload,
    }
