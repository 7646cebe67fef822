"""A party's timeline: everything on its file, in date order, in words. Pure: no IO.

The inbox shows it to staff deciding a task, who need the party's story and
not only a summary: incidents, asks, warnings and their repeats, restrictions
from proposal to end (with their measures in words and every end moved),
tasks and who decided them, letters and whether they were sent, adjustments,
stage changes, closed cases and rejected messages. `records.timeline` reads
the file into a `PartyFile`; `timeline` turns it into entries, oldest first.

Each entry names who acted as the door authenticated them (`acted`: their role,
the case system that carried it, the door), where the file says; entries from
before principals were recorded name who the message said acted.

Need to know: the support a colleague was offered after an incident (R18) and
a party's adjustments and the advice on them (R16) are special-category
details. A `Viewer` who may not read them (policy.need_to_know, which the
party's status goes through too) sees the entry, and who may read it, never
the details.
"""

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from policy.corrections import AnnexKind, CorrectionEntry
from policy.dates import written_date
from policy.fields import Door
from policy.letters import CATEGORY_WORDS, LETTER_TITLES, LetterDate, LetterKind, terms_words, was_lifted
from policy.need_to_know import (
    ADJUSTMENT_READERS,
    SUPPORT_TASK,
    Viewer,
    adjustment_decided_withheld,
    withheld,
    withheld_decision,
)
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
from policy.tasks import TASK_TITLES
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    ContactChannel,
    GroundRulesStatus,
    PartyKind,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    SendingMethod,
    Stage,
    TaskKind,
    WarningStatus,
    in_words,
)


class IncidentOnFile(BaseModel):
    incident_id: str
    category: Category
    behaviour_code: str
    occurred_at: datetime
    received_at: datetime
    reported_by: str
    experienced_by: str | None = None
    channel: str
    case_reference: str | None = None
    summary: str = ""


class LetterOnFile(BaseModel):
    letter_id: str
    kind: LetterKind
    subject_id: str
    decided_at: datetime
    produced_at: datetime
    sent_at: datetime | None = None
    sent_method: SendingMethod | None = None
    dates: list[LetterDate] = Field(default_factory=list, description="the dates the letter carries, in words")


class StageChangeOnFile(BaseModel):
    from_stage: Stage
    to_stage: Stage
    at: datetime
    reason: str


class ActedOnFile(BaseModel):
    """Who acted on the file for one message applied, as the door sealed it (the `acted` table).

    `message_kind` and `message_id` are the file's key for the message
    (policy.authority): `incident` and its id, `decision` and the decision id,
    `advice_request` and the adjustment id ...
    """

    message_kind: str
    message_id: str
    actor: str
    role: Role
    via: str | None = None
    door: Door


class PartyFile(BaseModel):
    """What the timeline reads of a party's file: its tables as the policy's models."""

    party_id: str
    kind: PartyKind
    professional_capacity: bool = False
    stage: Stage
    incidents: list[IncidentOnFile] = Field(default_factory=list)
    asks: list[AskEntry] = Field(default_factory=list)
    warnings: list[WarningEntry] = Field(default_factory=list)
    restrictions: list[RestrictionEntry] = Field(default_factory=list)
    tasks: list[HumanTask] = Field(default_factory=list)
    adjustments: list[AdjustmentEntry] = Field(default_factory=list)
    letters: list[LetterOnFile] = Field(default_factory=list)
    stage_changes: list[StageChangeOnFile] = Field(default_factory=list)
    closed_cases: list[ClosedCaseEntry] = Field(default_factory=list)
    ended_calls: list[EndedCallEntry] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)
    acted: list[ActedOnFile] = Field(default_factory=list)
    corrections: list[CorrectionEntry] = Field(
        default_factory=list, description="corrections and disputes (Art. 16), beside the records they are about"
    )


class EntryKind(StrEnum):
    """What an entry records; at the same instant, entries come in this order: cause before effect
    (a proposal before its approval task, the approval before the restriction is in force)."""

    INCIDENT = "incident"
    REPEAT = "repeat"  # R5a: a repeat while warned
    ASK = "ask"
    ENDED_CALL = "ended_call"  # R4a
    WARNING = "warning"
    RESTRICTION = "restriction"
    TASK = "task"
    ESCALATED = "escalated"
    DECISION = "decision"
    IN_FORCE = "in_force"
    END_MOVED = "end_moved"  # R12
    RESTRICTION_ENDED = "restriction_ended"
    GROUND_RULES_ENDED = "ground_rules_ended"  # R4a: after the restriction that superseded them
    TASK_WITHDRAWN = "task_withdrawn"
    STAGE = "stage"
    ADJUSTMENT = "adjustment"
    ADJUSTMENT_DECIDED = "adjustment_decided"
    CLOSED_CASE = "closed_case"
    LETTER = "letter"
    REJECTION = "rejection"
    CORRECTION = "correction"  # Art. 16: after what it corrects


_RANK = {kind: n for n, kind in enumerate(EntryKind)}


class Fact(BaseModel):
    """One line of an entry: a label and its words; `at` when the words are a date or time."""

    label: str
    text: str
    at: datetime | None = None


class TimelineEntry(BaseModel):
    at: datetime
    kind: EntryKind
    title: str
    ref: str | None = Field(default=None, description="the id on file: incident, warning, restriction, task ...")
    by: str | None = Field(default=None, description="who did it: a staff id, with the role they acted in")
    how: str | None = Field(
        default=None, description="where they were authenticated, and the case system that carried it, if one did"
    )
    facts: list[Fact] = Field(default_factory=list)
    letter_id: str | None = Field(default=None, description="a letter to download")


GROUNDS_WORDS = {
    RestrictionGrounds.WARNING_IN_PLACE: "the behaviour continued while a warning was in place (R6)",
    RestrictionGrounds.STEPPING_UP: "stepping up from a restriction in force (R11)",
    RestrictionGrounds.RECURRENCE: "the behaviour recurred within six months of a restriction ending (R13)",
    RestrictionGrounds.ZERO_TOLERANCE: "zero tolerance (R15)",
}
ENDED_WORDS = {
    RestrictionStatus.EXPIRED: "Restriction ended",
    RestrictionStatus.SUPERSEDED: "Restriction replaced by a stronger one (R11)",
}


DOOR_WORDS = {
    Door.API: "through the API",
    Door.INBOX: "in the inbox",
    Door.LOCAL: "on a machine holding the door key",
}


def _withheld(what: str, readers: str) -> Fact:
    return Fact(label="Details", text=withheld(what, readers))


def timeline(file: PartyFile, timezone: str, viewer: Viewer) -> list[TimelineEntry]:
    """Every entry on the party's file, oldest first, as `viewer` may read it.

    Args:
        file: The party's file.
        timezone: The body's time zone: dates in words are its local dates.
        viewer: Who reads it: a colleague's support (R18) and adjustments (R16)
            are shown in detail only to those who need to know.

    Returns:
        The entries by instant; at the same instant in the order of `EntryKind`,
        then in the order the file holds them.
    """
    entries = list(_entries(file, _Words(timezone, file.acted), viewer))
    return sorted(entries, key=entry_order)  # stable: the file's order breaks ties


def entry_order(entry: TimelineEntry) -> tuple[datetime, int]:
    """Where an entry goes in the timeline: by instant, then by `EntryKind` (incidents first)."""
    return entry.at, _RANK[entry.kind]


class _Words:
    def __init__(self, timezone: str, acted: list[ActedOnFile]) -> None:
        self.timezone = timezone
        self.acted = {(a.message_kind, a.message_id): a for a in acted}

    def date(self, label: str, at: datetime) -> Fact:
        return Fact(label=label, text=written_date(at, self.timezone), at=at)

    def who(self, message_kind: str, message_id: str, named: str | None) -> tuple[str | None, str | None]:
        """Who acted for a message (`by`) and how (`how`): as authenticated where the file
        says; else, for entries from before that was recorded, whom the message named."""
        acted = self.acted.get((message_kind, message_id))
        if acted is None:
            return named, None
        how = DOOR_WORDS[acted.door]
        return f"{acted.actor} ({in_words(acted.role)})", f"carried by {acted.via}, {how}" if acted.via else how


def _about(categories: list[Category]) -> Fact:
    return Fact(label="About", text="; ".join(CATEGORY_WORDS[c] for c in categories))


def _entries(file: PartyFile, w: _Words, viewer: Viewer) -> Iterator[TimelineEntry]:
    incidents = {i.incident_id: i for i in file.incidents}
    for i in file.incidents:
        yield _incident(i, w)
    for a in file.asks:
        yield _ask(a, w)
    for call in file.ended_calls:
        yield from _ended_call(call, w)
    for warning in file.warnings:
        yield from _warning(warning, incidents, w)
    for r in file.restrictions:
        yield from _restriction(r, file.tasks, w)
    for s in file.stage_changes:
        yield TimelineEntry(
            at=s.at,
            kind=EntryKind.STAGE,
            title=f"Stage: {in_words(s.to_stage)}",
            facts=[Fact(label="Before", text=in_words(s.from_stage)), Fact(label="Why", text=s.reason)],
        )
    # R16: the advice task opened when someone sought advice on an adjustment.
    advice_sought = {a.advice_task_id: a.adjustment_id for a in file.adjustments if a.advice_task_id}
    for t in file.tasks:
        yield from _task(t, w, viewer, advice_sought.get(t.task_id))
    for adjustment in file.adjustments:
        yield from _adjustment(adjustment, w, viewer)
    for c in file.closed_cases:
        by, how = w.who("case_closure", c.case_reference, c.closed_by)
        yield TimelineEntry(
            at=c.closed_at,
            kind=EntryKind.CLOSED_CASE,
            title="Case closed with notice of no further reply (R17)",
            ref=c.case_reference,
            by=by,
            how=how,
            facts=[Fact(label="Case", text=c.case_reference)]
            + ([Fact(label="Notes", text=c.notes)] if c.notes else []),
        )
    for letter in file.letters:
        yield from _letter(letter, w)
    for correction in file.corrections:
        yield _correction(correction)
    for rejection in file.rejections:
        yield TimelineEntry(
            at=rejection.received_at,
            kind=EntryKind.REJECTION,
            title=f"Message not applied: {in_words(rejection.message)}",
            ref=rejection.message_id or "no id",
            facts=[Fact(label="Why", text=rejection.reason)],
        )


def _incident(i: IncidentOnFile, w: _Words) -> TimelineEntry:
    facts = [Fact(label="Behaviour", text=in_words(i.behaviour_code))]
    if i.summary:
        facts.append(Fact(label="What happened", text=i.summary))
    facts.append(Fact(label="How", text=in_words(i.channel)))
    if i.experienced_by:
        facts.append(Fact(label="Experienced by", text=i.experienced_by))
    if i.case_reference:
        facts.append(Fact(label="Case", text=i.case_reference))
    by, how = w.who("incident", i.incident_id, i.reported_by)
    return TimelineEntry(
        at=i.occurred_at,
        kind=EntryKind.INCIDENT,
        title=f"Incident: {CATEGORY_WORDS[i.category]}",
        ref=i.incident_id,
        by=by,
        how=how,
        facts=facts,
    )


def _ask(a: AskEntry, w: _Words) -> TimelineEntry:
    facts = [
        _about(a.categories),
        Fact(label="Incidents", text=", ".join(a.incident_ids)),
        Fact(label="Adjustments discussed (R16)", text="yes" if a.adjustment_discussed else "no"),
    ]
    if a.notes:
        facts.append(Fact(label="Notes", text=a.notes))
    by, how = w.who("ask", a.ask_id, a.asked_by)
    return TimelineEntry(
        at=a.asked_at, kind=EntryKind.ASK, title="Asked to stop (R4)", ref=a.ask_id, by=by, how=how, facts=facts
    )


GROUND_RULES_ENDED_WORDS = {
    GroundRulesStatus.LAPSED: "Ground rules lapsed (R4a)",
    GroundRulesStatus.SUPERSEDED: "Ground rules superseded by a restriction (R4a)",
    GroundRulesStatus.LIFTED: "Ground rules lifted (R4a)",
}


def _ended_call(call: EndedCallEntry, w: _Words) -> Iterator[TimelineEntry]:
    rules = call.ground_rules
    facts = [
        Fact(label="How", text="a call" if call.channel == ContactChannel.PHONE else "a meeting"),
        Fact(label="Why", text=call.why),
        Fact(label="After ask", text=call.ask_id),
        Fact(label="Ground rules for future calls and meetings", text=rules.text if rules else "none set"),
    ]
    if rules is not None and rules.status == GroundRulesStatus.STANDING:
        facts.append(w.date("They stand until", rules.until))
    if rules is not None and rules.held_open_by_incident_id:
        facts.append(Fact(label="Held open by the repeat", text=rules.held_open_by_incident_id))
    # Recorded with its ask, the call is on file under the ask's id, and so is who acted.
    kind, message_id = ("ask", call.ask_id) if call.call_id == call.ask_id else ("ended_call", call.call_id)
    by, how = w.who(kind, message_id, call.ended_by)
    yield TimelineEntry(
        at=call.ended_at,
        kind=EntryKind.ENDED_CALL,
        title="Call ended, the behaviour continued (R4a)"
        if call.channel == ContactChannel.PHONE
        else "Meeting ended, the behaviour continued (R4a)",
        ref=call.call_id,
        by=by,
        how=how,
        facts=facts,
    )
    if rules is not None and rules.ended_at is not None and rules.status != GroundRulesStatus.STANDING:
        facts = [Fact(label="Why", text=rules.end_reason or in_words(rules.status))]
        by, how = (None, None)
        if rules.status == GroundRulesStatus.LIFTED:
            by, how = w.who("ground_rules_lift", call.call_id, rules.ended_by)
        yield TimelineEntry(
            at=rules.ended_at,
            kind=EntryKind.GROUND_RULES_ENDED,
            title=GROUND_RULES_ENDED_WORDS[rules.status],
            ref=call.call_id,
            by=by,
            how=how,
            facts=facts,
        )


def _warning(warning: WarningEntry, incidents: dict[str, IncidentOnFile], w: _Words) -> Iterator[TimelineEntry]:
    by, how = w.who("warning", warning.warning_id, warning.issued_by)
    yield TimelineEntry(
        at=warning.communicated_at,
        kind=EntryKind.WARNING,
        title=f"Warning given, {in_words(warning.method)} (R5)",
        ref=warning.warning_id,
        by=by,
        how=how,
        facts=[
            _about(warning.categories),
            Fact(label="Reasons", text=warning.reasons),
            Fact(label="Incidents", text=", ".join(warning.incident_ids)),
            w.date("Lasts until" if warning.status == WarningStatus.LIVE else "Lasted until", warning.expires_at),
        ],
    )
    for incident_id in warning.repeat_incident_ids:
        repeat = incidents.get(incident_id)
        if repeat is None:
            continue  # an incident the file no longer holds has no date to show
        facts = [Fact(label="Incident", text=incident_id)]
        if warning.extended_by_incident_id == incident_id:
            facts.append(w.date("The warning now lasts until", warning.expires_at))
        yield TimelineEntry(
            at=repeat.occurred_at,
            kind=EntryKind.REPEAT,
            title=f"Repeated while warned (R5a): warning {warning.warning_id}",
            ref=warning.warning_id,
            facts=facts,
        )


def _measures(r: RestrictionEntry) -> Fact:
    words = []
    for m in r.measures:
        terms = r.terms_of(m)
        words.append(in_words(m).capitalize() + (f" ({terms_words(terms)})" if terms is not None else ""))
    return Fact(label="Measures", text="; ".join(words))


def _restriction(r: RestrictionEntry, tasks: list[HumanTask], w: _Words) -> Iterator[TimelineEntry]:
    started_at_once = r.starts_at is not None and r.starts_at == r.decided_at
    facts = [
        _measures(r),
        _about(r.categories),
        Fact(label="Grounds", text=GROUNDS_WORDS[r.grounds]),
        Fact(label="Reasons", text=r.reasons),
        Fact(label="Contact arrangements", text=r.contact_arrangements),
        Fact(label="Incidents", text=", ".join(r.incident_ids)),
    ]
    if r.replaces_restriction_id:
        facts.append(Fact(label="Replaces", text=r.replaces_restriction_id))
    if r.needs_approval_because:
        facts.append(Fact(label="Needs approval because", text="; ".join(r.needs_approval_because)))
    if not started_at_once:
        facts.append(Fact(label="Status now", text=in_words(r.status)))
    if started_at_once and r.ends_at is not None:
        facts.append(w.date("Until", r.ends_at))
    by, how = w.who("restriction", r.restriction_id, r.proposed_by)
    yield TimelineEntry(
        at=r.decided_at,
        kind=EntryKind.RESTRICTION,
        title="Restriction put in force" if started_at_once else "Restriction proposed",
        ref=r.restriction_id,
        by=by,
        how=how,
        facts=facts,
    )
    if r.starts_at is not None and not started_at_once:
        yield TimelineEntry(
            at=r.starts_at,
            kind=EntryKind.IN_FORCE,
            title="Restriction in force",
            ref=r.restriction_id,
            facts=[_measures(r)] + ([w.date("Until", r.ends_at)] if r.ends_at is not None else []),
        )
    if r.ended_at is not None:
        title = "Restriction lifted" if was_lifted(tasks, r) else ENDED_WORDS.get(r.status, "Restriction ended")
        facts = [w.date("Six months after (R13)", r.recurrence_window_ends_at)] if r.recurrence_window_ends_at else []
        yield TimelineEntry(
            at=r.ended_at, kind=EntryKind.RESTRICTION_ENDED, title=title, ref=r.restriction_id, facts=facts
        )


def _task(t: HumanTask, w: _Words, viewer: Viewer, advice_on: str | None) -> Iterator[TimelineEntry]:
    """A task's entries; `advice_on`: the adjustment an advice task is about, whose request for
    advice (R16) opened it."""
    title = TASK_TITLES[t.kind]
    readers = viewer.task_readers(t)
    # An advice task's summary names only the adjustment's id; a support task's names the colleague.
    about = (
        _withheld(SUPPORT_TASK, readers)
        if readers is not None and t.kind == TaskKind.COLLEAGUE_SUPPORT
        else Fact(label="About", text=t.summary)
    )
    facts = [about, Fact(label="Status now", text=in_words(t.status))]
    if t.due_at is not None:
        facts.append(w.date("Due", t.due_at))
    by, how = w.who("advice_request", advice_on, None) if advice_on is not None else (None, None)
    yield TimelineEntry(
        at=t.created_at, kind=EntryKind.TASK, title=f"Task opened: {title}", ref=t.task_id, by=by, how=how, facts=facts
    )
    if t.escalated_at is not None:
        yield TimelineEntry(
            at=t.escalated_at,
            kind=EntryKind.ESCALATED,
            title=f"Task escalated: {title}",
            ref=t.task_id,
            facts=[Fact(label="Why", text=t.escalation_reason or "not given")],
        )
    for d in t.decisions:
        facts = [Fact(label="Task", text=title)]
        if readers is not None:
            if d.reason or d.support_offered:
                facts.append(Fact(label="Details", text=withheld_decision(d, readers)))
        else:
            if d.reason:
                facts.append(Fact(label="Reason", text=d.reason))
            if d.support_offered:
                offered = "; ".join(in_words(s) for s in d.support_offered)
                facts.append(Fact(label="Support offered (R18)", text=offered))
        if d.police_referral is not None:
            facts.append(Fact(label="Police referral (R15)", text="yes" if d.police_referral else "no"))
        by, how = w.who("decision", d.decision_id, f"{d.decided_by} ({in_words(d.role)})")
        yield TimelineEntry(
            at=d.decided_at,
            kind=EntryKind.DECISION,
            title=f"Decided: {in_words(d.outcome)}",
            ref=t.task_id,
            by=by,
            how=how,
            facts=facts,
        )
    if t.cancelled_at is not None:
        yield TimelineEntry(
            at=t.cancelled_at,
            kind=EntryKind.TASK_WITHDRAWN,
            title=f"Task withdrawn: {title}",
            ref=t.task_id,
            facts=[Fact(label="Why", text=t.cancellation_reason or "what it asked no longer stands")],
        )


def _adjustment(a: AdjustmentEntry, w: _Words, viewer: Viewer) -> Iterator[TimelineEntry]:
    sees = viewer.sees_adjustments()
    by, how = w.who("adjustment_request", a.adjustment_id, a.recorded_by)
    yield TimelineEntry(
        at=a.requested_at,
        kind=EntryKind.ADJUSTMENT,
        title="Adjustment requested (R16)",
        ref=a.adjustment_id,
        by=by,
        how=how,
        facts=[
            Fact(label="Asked for", text=a.description) if sees else _withheld("What was asked for", ADJUSTMENT_READERS)
        ],
    )
    if a.status != AdjustmentStatus.REQUESTED and a.decided_at is not None:
        words, format_shown = adjustment_decided_withheld(a, viewer)
        facts = [Fact(label="Details", text=words)] if words is not None else []
        if a.reason and sees:
            facts.append(Fact(label="Reason", text=a.reason))
        if a.letter_format is not None and format_shown:
            facts.append(Fact(label="Letters from now on", text=in_words(a.letter_format)))
        by, how = w.who("adjustment_decision", a.adjustment_id, a.decided_by)
        yield TimelineEntry(
            at=a.decided_at,
            kind=EntryKind.ADJUSTMENT_DECIDED,
            title=f"Adjustment {in_words(a.status)} (R16)",
            ref=a.adjustment_id,
            by=by,
            how=how,
            facts=facts,
        )


def _letter(letter: LetterOnFile, w: _Words) -> Iterator[TimelineEntry]:
    dates = [Fact(label=d.label, text=d.written) for d in letter.dates]
    if letter.kind == LetterKind.END_MOVED:
        yield TimelineEntry(
            at=letter.decided_at,
            kind=EntryKind.END_MOVED,
            title=f"Restriction's end moved by a repeat (R12): restriction {letter.subject_id}",
            ref=letter.subject_id,
            facts=dates,
        )
    if letter.sent_at is not None:
        method = in_words(letter.sent_method or "not recorded")
        sent = [w.date("Sent", letter.sent_at), Fact(label="Sent by", text=method)]
    else:
        sent = [Fact(label="Sent", text="not sent yet")]
    yield TimelineEntry(
        at=letter.produced_at,
        kind=EntryKind.LETTER,
        title=f"Letter: {LETTER_TITLES[letter.kind]}",
        ref=letter.letter_id,
        facts=[Fact(label="Explains the decision on", text=letter.subject_id), *sent, *dates],
        letter_id=letter.letter_id,
    )


ANNEX_TITLES = {
    AnnexKind.CORRECTION: "Correction to the record (Art. 16)",
    AnnexKind.DISPUTE: "The person disputes the record (Art. 16)",
}


def _correction(c: CorrectionEntry) -> TimelineEntry:
    how = DOOR_WORDS[c.door]
    return TimelineEntry(
        at=c.recorded_at,
        kind=EntryKind.CORRECTION,
        title=ANNEX_TITLES[c.kind],
        ref=c.about_id,
        by=f"{c.recorded_by} ({in_words(c.role)})",
        how=f"carried by {c.via}, {how}" if c.via else how,
        facts=[
            Fact(label="About", text=f"{in_words(c.about_kind)} {c.about_id}"),
            Fact(label="Correction" if c.kind == AnnexKind.CORRECTION else "Their statement", text=c.text),
            Fact(label="The original", text="kept on file as it was"),
            *([Fact(label="Put on a letter", text=c.letter_id)] if c.letter_id else []),
        ],
    )
