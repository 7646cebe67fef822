"""The events a case system hears (issue 25): the catalogue, and which events a write makes. Pure: no IO.

An event says that something changed on a party's file: its type (a stable name), the party,
the ids, codes and dates of what changed. It is derived from what a write really changed:
the entries on file before the write against the effects written (`events_of`), so a batch
written twice, or refused as stale, makes no event, and nothing is said that was not written.
Each event's id is derived from the change itself (`event_id`), so the same change found
twice is one event.

Personal free text (an incident's summary, reasons, notes) is kept apart in each event's data
(`FREE_TEXT`) and given only to a subscription allowed it (`shown`); special-category details
(what an adjustment is, why it was decided so) are never in an event at all.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from policy.effects import (
    AdjustmentSaved,
    AskSaved,
    CaseClosureSaved,
    Effect,
    IncidentRecorded,
    RestrictionSaved,
    StageChanged,
    TaskSaved,
    WarningSaved,
)
from policy.letters import LetterKind
from policy.state import AdjustmentEntry, HumanTask, RestrictionEntry, WarningEntry
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    LetterFormat,
    Measure,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    SendingMethod,
    Stage,
    TaskKind,
    TaskOutcome,
    TaskStatus,
    WarningMethod,
    WarningStatus,
)


class EventType(StrEnum):
    """The catalogue: each a stable name a case system may subscribe to (docs/contract.md)."""

    INCIDENT_RECORDED = "incident.recorded"
    STAGE_CHANGED = "stage.changed"
    ASK_RECORDED = "ask.recorded"
    WARNING_GIVEN = "warning.given"
    WARNING_HELD_OPEN = "warning.held_open"  # R5a: a repeat moved its expiry
    WARNING_LAPSED = "warning.lapsed"
    RESTRICTION_PROPOSED = "restriction.proposed"  # held for approval (R7, R9)
    RESTRICTION_APPROVED = "restriction.approved"
    RESTRICTION_REFUSED = "restriction.refused"
    RESTRICTION_WITHDRAWN = "restriction.withdrawn"  # never decided, nothing left to decide
    RESTRICTION_IN_FORCE = "restriction.in_force"
    RESTRICTION_END_MOVED = "restriction.end_moved"  # R12
    RESTRICTION_STEPPED_UP = "restriction.stepped_up"  # R11: in force, replacing a weaker one
    RESTRICTION_LIFTED_EARLY = "restriction.lifted_early"
    RESTRICTION_ENDED = "restriction.ended"  # its time is up, or a stronger one replaced it
    ZERO_TOLERANCE_STOP = "zero_tolerance.stop"  # R15: direct contact stopped
    ZERO_TOLERANCE_REVIEWED = "zero_tolerance.reviewed"  # R15: its review decided
    TASK_OPENED = "task.opened"
    TASK_DECIDED = "task.decided"
    TASK_ESCALATED = "task.escalated"
    TASK_OVERDUE = "task.overdue"
    TASK_WITHDRAWN = "task.withdrawn"
    LETTER_MADE = "letter.made"  # R10
    LETTER_SENT = "letter.sent"
    CASE_CLOSED = "case.closed"  # R17
    ADJUSTMENT_REQUESTED = "adjustment.requested"  # R16
    ADJUSTMENT_DECIDED = "adjustment.decided"


# The personal free text an event's data may hold; a subscription gets the fields it is allowed.
FREE_TEXT = frozenset({"summary", "reasons", "notes", "contact_arrangements", "reason"})
_FREE = "personal free text: only to a subscription allowed this field"


class IncidentData(BaseModel):
    incident_id: str
    category: Category
    behaviour_code: str
    occurred_at: datetime
    channel: str
    case_reference: str | None = None
    reported_by: str
    summary: str | None = Field(default=None, description=_FREE)


class StageData(BaseModel):
    from_stage: Stage
    to_stage: Stage
    at: datetime
    reason: str | None = Field(default=None, description=_FREE)


class AskData(BaseModel):
    ask_id: str
    categories: list[Category]
    incident_ids: list[str]
    asked_at: datetime
    asked_by: str
    notes: str | None = Field(default=None, description=_FREE)


class WarningData(BaseModel):
    warning_id: str
    status: WarningStatus
    categories: list[Category]
    incident_ids: list[str]
    communicated_at: datetime
    expires_at: datetime
    previous_expires_at: datetime | None = Field(default=None, description="warning.held_open: the expiry before")
    held_open_by_incident_id: str | None = Field(default=None, description="R5a: the repeat that moved the expiry")
    method: WarningMethod
    issued_by: str
    reasons: str | None = Field(default=None, description=_FREE)


class RestrictionData(BaseModel):
    restriction_id: str
    status: RestrictionStatus
    grounds: RestrictionGrounds
    categories: list[Category]
    measures: list[Measure]
    incident_ids: list[str]
    proposed_by: str
    decided_at: datetime
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    previous_ends_at: datetime | None = Field(default=None, description="restriction.end_moved: the end before")
    ended_at: datetime | None = None
    replaces_restriction_id: str | None = Field(default=None, description="R11: the restriction it replaces")
    reasons: str | None = Field(default=None, description=_FREE)
    contact_arrangements: str | None = Field(default=None, description=_FREE)


class TaskData(BaseModel):
    task_id: str
    kind: TaskKind
    subject_id: str = Field(description="the restriction, incident or adjustment the task is about")
    status: TaskStatus
    created_at: datetime
    deciding_roles: list[Role]
    due_at: datetime | None = None
    escalated_at: datetime | None = None
    overdue_since: datetime | None = None
    outcome: TaskOutcome | None = Field(default=None, description="task.decided: the last decision's outcome")
    decided_by: str | None = None
    decided_at: datetime | None = None
    cancelled_at: datetime | None = None
    summary: str | None = Field(default=None, description=_FREE)
    reason: str | None = Field(default=None, description=_FREE + " (why it was decided, or withdrawn)")


class LetterData(BaseModel):
    letter_id: str
    kind: LetterKind
    subject_id: str
    decided_at: datetime
    format: LetterFormat
    produced_at: datetime
    sent_at: datetime | None = None
    sent_method: SendingMethod | None = None


class CaseClosedData(BaseModel):
    case_reference: str
    closed_at: datetime
    closed_by: str
    notes: str | None = Field(default=None, description=_FREE)


class AdjustmentData(BaseModel):
    """R16: that an adjustment was asked for and decided; never what it is or why (special category)."""

    adjustment_id: str
    status: AdjustmentStatus
    requested_at: datetime
    recorded_by: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    letter_format: LetterFormat | None = None


_RESTRICTION_TYPES = {t for t in EventType if t.value.startswith(("restriction.", "zero_tolerance.stop"))}
_TASK_TYPES = {t for t in EventType if t.value.startswith("task.")} | {EventType.ZERO_TOLERANCE_REVIEWED}
# Each type's data: one JSON Schema per type in docs/schemas/ (cli.schemas).
DATA_OF: dict[EventType, type[BaseModel]] = {
    EventType.INCIDENT_RECORDED: IncidentData,
    EventType.STAGE_CHANGED: StageData,
    EventType.ASK_RECORDED: AskData,
    EventType.WARNING_GIVEN: WarningData,
    EventType.WARNING_HELD_OPEN: WarningData,
    EventType.WARNING_LAPSED: WarningData,
    **dict.fromkeys(sorted(_RESTRICTION_TYPES), RestrictionData),
    **dict.fromkeys(sorted(_TASK_TYPES), TaskData),
    EventType.LETTER_MADE: LetterData,
    EventType.LETTER_SENT: LetterData,
    EventType.CASE_CLOSED: CaseClosedData,
    EventType.ADJUSTMENT_REQUESTED: AdjustmentData,
    EventType.ADJUSTMENT_DECIDED: AdjustmentData,
}


class Event(BaseModel):
    """One event, as delivered (webhook body) and as the feed returns it."""

    id: str = Field(description="the event's id, the same however often it is delivered: de-duplicate on it")
    type: EventType
    party_id: str
    sequence: int = Field(description="the party's own count of events, 1, 2, 3 ...: the order within the party")
    timestamp: datetime = Field(description="when what it reports happened (on the workflow's clock)")
    data: dict[str, Any] = Field(description="the type's data (docs/schemas/event-TYPE.json)")


@dataclass(frozen=True)
class Change:
    """An event found in a write, before the records give it its sequence."""

    id: str
    type: EventType
    party_id: str
    at: datetime
    data: dict[str, Any]


def event_id(party_id: str, event_type: EventType, *key: object) -> str:
    """The id of the change `key` (the entity's id and what distinguishes this change of it):
    found again (a retried write), it is the same id, and is recorded once."""
    text = "\x1f".join([party_id, event_type.value, *(str(k) for k in key)])
    return "evt_" + hashlib.sha256(text.encode()).hexdigest()[:32]


def shown(data: dict[str, Any], text_fields: frozenset[str] | set[str]) -> dict[str, Any]:
    """An event's data without the free text not in `text_fields`."""
    return {k: v for k, v in data.items() if k not in FREE_TEXT or k in text_fields}


@dataclass
class Before:
    """What the file held, before a write, of the entries the write touches."""

    incidents: set[str] = field(default_factory=set)
    asks: set[str] = field(default_factory=set)
    stage_changes: set[str] = field(default_factory=set)
    closed_cases: set[str] = field(default_factory=set)
    warnings: dict[str, WarningEntry] = field(default_factory=dict)
    restrictions: dict[str, RestrictionEntry] = field(default_factory=dict)
    tasks: dict[str, HumanTask] = field(default_factory=dict)
    adjustments: dict[str, AdjustmentEntry] = field(default_factory=dict)


def touched(effects: list[Effect]) -> dict[str, set[str]]:
    """The ids, by kind, of the entries `effects` write: what to read as `Before`."""
    ids: dict[str, set[str]] = {kind: set() for kind in Before.__dataclass_fields__}
    for effect in effects:
        match effect:
            case IncidentRecorded():
                ids["incidents"].add(effect.report.incident_id)
            case AskSaved():
                ids["asks"].add(effect.ask.ask_id)
            case StageChanged():
                ids["stage_changes"].add(effect.change_id)
            case CaseClosureSaved():
                ids["closed_cases"].add(closure_key(effect.party_id, effect.closed_case.case_reference))
            case WarningSaved():
                ids["warnings"].add(effect.warning.warning_id)
            case RestrictionSaved():
                ids["restrictions"].add(effect.restriction.restriction_id)
            case TaskSaved():
                ids["tasks"].add(effect.task.task_id)
            case AdjustmentSaved():
                ids["adjustments"].add(effect.adjustment.adjustment_id)
    return ids


def closure_key(party_id: str, case_reference: str) -> str:
    """R17: one closure per case and party (records: the closed case's key)."""
    return f"{party_id}:{case_reference}"


def events_of(party_id: str, before: Before, effects: list[Effect]) -> list[Change]:
    """The events a write of `effects` makes, given what the file held before: one per change,
    in the order the rules made them. Effects that change nothing on file make none."""
    changes: list[Change] = []
    # When each incident of the write happened: a warning held open says when its repeat was (R5a).
    occurred = {e.report.incident_id: e.report.occurred_at for e in effects if isinstance(e, IncidentRecorded)}
    for effect in effects:
        match effect:
            case IncidentRecorded():
                report = effect.report
                if report.incident_id not in before.incidents:
                    before.incidents.add(report.incident_id)
                    data = IncidentData.model_validate(report, from_attributes=True)
                    changes.append(
                        _change(party_id, EventType.INCIDENT_RECORDED, report.occurred_at, data, report.incident_id)
                    )
            case AskSaved():
                a = effect.ask
                if a.ask_id not in before.asks:
                    before.asks.add(a.ask_id)
                    changes.append(
                        _change(
                            party_id,
                            EventType.ASK_RECORDED,
                            a.asked_at,
                            AskData.model_validate(a, from_attributes=True),
                            a.ask_id,
                        )
                    )
            case StageChanged():
                if effect.change_id not in before.stage_changes:
                    before.stage_changes.add(effect.change_id)
                    stage = StageData.model_validate(effect, from_attributes=True)
                    changes.append(_change(party_id, EventType.STAGE_CHANGED, effect.at, stage, effect.change_id))
            case CaseClosureSaved():
                c = effect.closed_case
                key = closure_key(party_id, c.case_reference)
                if key not in before.closed_cases:
                    before.closed_cases.add(key)
                    closed = CaseClosedData.model_validate(c, from_attributes=True)
                    changes.append(_change(party_id, EventType.CASE_CLOSED, c.closed_at, closed, key))
            case WarningSaved():
                w = effect.warning
                changes += _warning(party_id, before.warnings.get(w.warning_id), w, occurred)
                before.warnings[w.warning_id] = w
            case RestrictionSaved():
                r = effect.restriction
                changes += _restriction(party_id, before.restrictions.get(r.restriction_id), r)
                before.restrictions[r.restriction_id] = r
            case TaskSaved():
                t = effect.task
                changes += _task(party_id, before.tasks.get(t.task_id), t)
                before.tasks[t.task_id] = t
            case AdjustmentSaved():
                adj = effect.adjustment
                changes += _adjustment(party_id, before.adjustments.get(adj.adjustment_id), adj)
                before.adjustments[adj.adjustment_id] = adj
    return changes


def _change(party_id: str, event_type: EventType, at: datetime, data: BaseModel, *key: object) -> Change:
    return Change(
        id=event_id(party_id, event_type, *key),
        type=event_type,
        party_id=party_id,
        at=at,
        data=data.model_dump(mode="json"),
    )


def _warning(party_id: str, old: WarningEntry | None, new: WarningEntry, occurred: dict[str, datetime]) -> list[Change]:
    data = WarningData.model_validate(new, from_attributes=True)
    wid = new.warning_id
    if old is None:
        live = new.status == WarningStatus.LIVE
        return [_change(party_id, EventType.WARNING_GIVEN, new.communicated_at, data, wid)] if live else []
    if old.status == WarningStatus.LIVE and new.status == WarningStatus.EXPIRED:
        return [_change(party_id, EventType.WARNING_LAPSED, new.expires_at, data, wid)]
    if new.status == WarningStatus.LIVE and new.expires_at != old.expires_at:
        data.previous_expires_at = old.expires_at
        data.held_open_by_incident_id = new.extended_by_incident_id
        repeat = new.extended_by_incident_id
        # The repeat is written with the warning it holds open; if not (a split write), the warning's date.
        at = occurred.get(repeat, new.communicated_at) if repeat else new.communicated_at
        return [_change(party_id, EventType.WARNING_HELD_OPEN, at, data, wid, new.expires_at.isoformat())]
    return []


def _restriction(party_id: str, old: RestrictionEntry | None, new: RestrictionEntry) -> list[Change]:
    data = RestrictionData.model_validate(new, from_attributes=True)
    rid = new.restriction_id
    was = old.status if old is not None else None
    now = new.status
    types: list[EventType] = []
    if was is None and now == RestrictionStatus.AWAITING_APPROVAL:
        types.append(EventType.RESTRICTION_PROPOSED)
    if was == RestrictionStatus.AWAITING_APPROVAL:
        types += {
            RestrictionStatus.IN_FORCE: [EventType.RESTRICTION_APPROVED],
            RestrictionStatus.REJECTED: [EventType.RESTRICTION_REFUSED],
            RestrictionStatus.WITHDRAWN: [EventType.RESTRICTION_WITHDRAWN],
        }.get(now, [])
    if was in (None, RestrictionStatus.AWAITING_APPROVAL) and now == RestrictionStatus.IN_FORCE:
        types.append(EventType.RESTRICTION_IN_FORCE)
        if new.replaces_restriction_id is not None:
            types.append(EventType.RESTRICTION_STEPPED_UP)
        if new.grounds == RestrictionGrounds.ZERO_TOLERANCE:
            types.append(EventType.ZERO_TOLERANCE_STOP)
    if old is not None and was == RestrictionStatus.IN_FORCE:
        if now == RestrictionStatus.IN_FORCE and new.ends_at != old.ends_at:
            data.previous_ends_at = old.ends_at
            at = new.last_instance_at
            return [_change(party_id, EventType.RESTRICTION_END_MOVED, at, data, rid, str(new.ends_at))]
        if now == RestrictionStatus.EXPIRED:
            # A lift ends it now and moves its end there; its time running out leaves the end as it was.
            lifted = new.ends_at != old.ends_at
            types.append(EventType.RESTRICTION_LIFTED_EARLY if lifted else EventType.RESTRICTION_ENDED)
        if now == RestrictionStatus.SUPERSEDED:
            types.append(EventType.RESTRICTION_ENDED)
    at = new.ended_at or new.starts_at or new.decided_at
    return [_change(party_id, t, at, data, rid) for t in types]


def _task(party_id: str, old: HumanTask | None, new: HumanTask) -> list[Change]:
    last = new.decisions[-1] if new.decisions else None
    decided = new.status == TaskStatus.DONE and last is not None
    data = TaskData(
        task_id=new.task_id,
        kind=new.kind,
        subject_id=new.subject_id,
        status=new.status,
        created_at=new.created_at,
        deciding_roles=new.deciding_roles(),
        due_at=new.due_at,
        escalated_at=new.escalated_at,
        overdue_since=new.overdue_since,
        outcome=last.outcome if decided and last else None,
        decided_by=last.decided_by if decided and last else None,
        decided_at=last.decided_at if decided and last else None,
        cancelled_at=new.cancelled_at,
        summary=new.summary,
        reason=(last.reason if decided and last else new.cancellation_reason),
    )
    tid = new.task_id
    out: list[Change] = []
    if old is None:
        out.append(_change(party_id, EventType.TASK_OPENED, new.created_at, data, tid))
    if new.escalated_at is not None and (old is None or old.escalated_at is None):
        out.append(_change(party_id, EventType.TASK_ESCALATED, new.escalated_at, data, tid))
    if new.overdue_since is not None and (old is None or old.overdue_since is None):
        out.append(_change(party_id, EventType.TASK_OVERDUE, new.overdue_since, data, tid))
    was_open = old is None or old.status == TaskStatus.OPEN
    if was_open and decided and last is not None:
        out.append(_change(party_id, EventType.TASK_DECIDED, last.decided_at, data, tid))
        if new.kind == TaskKind.ZERO_TOLERANCE_REVIEW:
            out.append(_change(party_id, EventType.ZERO_TOLERANCE_REVIEWED, last.decided_at, data, tid))
    if was_open and new.status == TaskStatus.CANCELLED:
        out.append(_change(party_id, EventType.TASK_WITHDRAWN, new.cancelled_at or new.created_at, data, tid))
    return out


def _adjustment(party_id: str, old: AdjustmentEntry | None, new: AdjustmentEntry) -> list[Change]:
    data = AdjustmentData.model_validate(new, from_attributes=True)
    aid = new.adjustment_id
    out: list[Change] = []
    if old is None:
        out.append(_change(party_id, EventType.ADJUSTMENT_REQUESTED, new.requested_at, data, aid))
    was_requested = old is None or old.status == AdjustmentStatus.REQUESTED
    if was_requested and new.status != AdjustmentStatus.REQUESTED:
        out.append(_change(party_id, EventType.ADJUSTMENT_DECIDED, new.decided_at or new.requested_at, data, aid))
    return out


def letter_event(party_id: str, event_type: EventType, data: LetterData) -> Change:
    """R10: a letter made for the party (when it is first stored), or sent (the first time the
    case system says so): records.letters writes it with the letter."""
    at = data.sent_at if event_type == EventType.LETTER_SENT and data.sent_at else data.produced_at
    return Change(
        id=event_id(party_id, event_type, data.letter_id),
        type=event_type,
        party_id=party_id,
        at=at,
        data=data.model_dump(mode="json"),
    )


def typed_event(event_type: EventType) -> type[BaseModel]:
    """The event of one type with its data's own model: its JSON Schema (docs/schemas/event-TYPE.json)."""
    name = "Event_" + event_type.value.replace(".", "_")
    return create_model(
        name,
        __base__=Event,
        __doc__=f"The event `{event_type.value}`: {Event.__doc__}",
        type=(Literal[event_type.value], Field(description="the event's type")),  # type: ignore[arg-type]
        data=(DATA_OF[event_type], Field(description=f"what `{event_type.value}` says; free text only if allowed")),
    )
