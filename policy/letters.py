"""R10: which letter a decision needs, and what it must say. Pure: no IO.

The workflow hands each batch of effects it has written to `letters_due`,
which finds the decisions the party must hear about (a warning, a
restriction in force, its end moved, lifted or reached, an adjustment
decided) and returns each letter's content in words. An activity renders
and stores it (activities/letters.py). A letter's id comes from the
decision it explains, so a decision is written up once however often its
message or effect repeats; the state keeps the ids already due.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from policy.dates import written_date
from policy.effects import AdjustmentSaved, Effect, RestrictionSaved, WarningSaved
from policy.measures import MeasureTerms
from policy.state import AdjustmentEntry, HumanTask, PartyState, RestrictionEntry, WarningEntry
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    LetterFormat,
    Measure,
    RestrictionGrounds,
    RestrictionStatus,
    TaskOutcome,
    WarningMethod,
    WarningStatus,
)


class LetterKind(StrEnum):
    """The decisions the party is told about in writing (R10)."""

    WARNING = "warning"  # R5 (a verbal one followed up in writing)
    WARNING_HELD_OPEN = "warning_held_open"  # R5a: a repeat moved its expiry
    RESTRICTION = "restriction"  # R6, after approval where R7/R9 apply
    STEPPED_UP = "stepped_up"  # R11
    REAPPLIED = "reapplied"  # R13: without a new warning
    ZERO_TOLERANCE_STOP = "zero_tolerance_stop"  # R15
    END_MOVED = "end_moved"  # R12
    LIFTED_EARLY = "lifted_early"
    EXPIRED = "expired"  # R12: its time is up
    ADJUSTMENT_AGREED = "adjustment_agreed"  # R16
    ADJUSTMENT_DECLINED = "adjustment_declined"  # R16, after specialist advice
    CORRECTION = "correction"  # Art. 16: a record corrected, put on a letter when staff choose (policy.corrections)
    DISPUTE_NOTED = "dispute_noted"  # Art. 16: the person's statement disputing a record, added to it


LETTER_TITLES: dict[LetterKind, str] = {
    LetterKind.WARNING: "A warning about your behaviour",
    LetterKind.WARNING_HELD_OPEN: "Your warning will now last longer",
    LetterKind.RESTRICTION: "Restrictions on your contact with us",
    LetterKind.STEPPED_UP: "Stronger restrictions on your contact with us",
    LetterKind.REAPPLIED: "Restrictions on your contact with us put back in place",
    LetterKind.ZERO_TOLERANCE_STOP: "We have stopped direct contact with you",
    LetterKind.END_MOVED: "Your restrictions will now last longer",
    LetterKind.LIFTED_EARLY: "Your restrictions have been lifted",
    LetterKind.EXPIRED: "Your restrictions have come to an end",
    LetterKind.ADJUSTMENT_AGREED: "We have agreed the adjustment you asked for",
    LetterKind.ADJUSTMENT_DECLINED: "We have not agreed the adjustment you asked for",
    LetterKind.CORRECTION: "We have corrected our records",
    LetterKind.DISPUTE_NOTED: "We have added your statement to our records",
}

CATEGORY_WORDS: dict[Category, str] = {
    Category.UNACCEPTABLE_DEMANDS: "unacceptable demands",
    Category.UNACCEPTABLE_CONTACT_LEVELS: "unacceptable levels of contact",
    Category.REFUSING_TO_COOPERATE: "refusing to cooperate",
    Category.OVERBEARING_OR_CONTROLLING: "overbearing or controlling behaviour",
    Category.AGGRESSIVE_OR_ABUSIVE: "aggressive or abusive behaviour",
    Category.ZERO_TOLERANCE: "behaviour we do not tolerate at all (such as harassment or threats of harm)",
}

MEASURE_WORDS: dict[Measure, str] = {
    Measure.SINGLE_NAMED_CONTACT: "You may contact only one named member of our staff.",
    Measure.MEETING_ABOUT_BEHAVIOUR: "We will ask you to meet us to discuss your behaviour.",
    Measure.RETURN_CORRESPONDENCE_HIGHLIGHTED: "We will return correspondence to you with the unacceptable "
    "content highlighted.",
    Measure.BEHAVIOUR_CONTRACT: "We will ask you to agree a behaviour contract.",
    Measure.SINGLE_CONTACT_CHANNEL: "You may contact us in one way only.",
    Measure.WITHHOLD_CONTACT_DETAILS: "We will not give you our staff's names or contact details.",
    Measure.READ_AND_FILE_WITHOUT_REPLY: "We will read and file your correspondence without replying, unless "
    "you raise a new complaint.",
    Measure.RETURN_POSTED_LETTERS: "We will return letters you post to us.",
    Measure.RESTRICT_ISSUES: "We will correspond with you only about certain issues.",
    Measure.RESTRICT_TIME_OR_VOLUME: "You may contact us only at certain times or a limited number of times.",
    Measure.EXTENDED_RESPONSE_TIME: "We will take longer than our usual 10 working days to reply.",
    Measure.BLOCK_EMAILS_OR_REFUSE_CALLS: "We will block your emails or not take your calls.",
    Measure.CONTACT_THROUGH_THIRD_PARTY: "You may contact us only through a third party, such as an advocate.",
    Measure.TIME_OUT: "We will pause work on your case for a set period.",
    Measure.GROUND_RULES_FOR_CALLS: "We will set ground rules at the start of each call.",
    Measure.STOP_DIRECT_CONTACT: "We have stopped all direct contact with you.",
    Measure.BLOCK_ALL_CONTACT: "We will not accept any contact from you.",
    Measure.STOP_WORK_ON_CASE: "We have stopped work on your case or enquiry.",
    Measure.REFUSE_FURTHER_COMPLAINTS: "We will not accept further enquiries or complaints from you.",
}


class LetterDate(BaseModel):
    """One date the letter must carry, in words (London)."""

    label: str
    written: str


class LetterContent(BaseModel):
    """What one letter says, in words; the activity renders it as HTML and PDF.

    The ids say which decision it explains, never who the party is by name:
    the case system adds the address when it sends the letter.
    """

    letter_id: str
    kind: LetterKind
    party_id: str
    subject_id: str = Field(description="the warning, restriction or adjustment the decision was about")
    decided_at: datetime = Field(description="when the decision took effect; the letter's date")
    format: LetterFormat = LetterFormat.STANDARD
    title: str
    date_written: str
    about: list[str] = Field(default_factory=list, description="the behaviour, in words")
    reasons: str = ""
    measures: list[str] = Field(default_factory=list, description="R8 measures in words, with their terms")
    arrangements: str = Field(default="", description="R10: the arrangements for continued contact")
    dates: list[LetterDate] = Field(default_factory=list)
    next_steps: str
    final: bool = Field(default=False, description="R14: a restriction decision is final, with no appeal")


def letter_id_for(kind: LetterKind, subject_id: str, *qualifier: str) -> str:
    """The letter's id, derived from the decision: the same decision, the same id."""
    return ":".join(["letter", kind.value, subject_id, *qualifier])


def letters_due(state: PartyState, effects: list[Effect]) -> list[LetterContent]:
    """The letters the decisions in `effects` call for, not yet due before.

    Args:
        state: The party's state after the effects; their ids are added to
            `state.letter_ids`.
        effects: A batch of effects, as written to the party's file.

    Returns:
        Each new letter's content, in the order of the effects.
    """
    due: list[LetterContent] = []
    for effect in effects:
        for letter_id, content in _letters_for(state, effect):
            if letter_id in state.letter_ids:
                continue
            state.letter_ids.append(letter_id)
            if content is not None:
                due.append(content)
    return due


def _letters_for(state: PartyState, effect: Effect) -> list[tuple[str, LetterContent | None]]:
    """(letter id, content) pairs for one effect; content None marks an id as covered without a letter."""
    if isinstance(effect, WarningSaved) and effect.warning.status == WarningStatus.LIVE:
        return _warning_letters(state, effect.warning)
    if isinstance(effect, RestrictionSaved):
        return _restriction_letters(state, effect.restriction)
    if isinstance(effect, AdjustmentSaved) and effect.adjustment.status != AdjustmentStatus.REQUESTED:
        a = effect.adjustment
        kind = LetterKind.ADJUSTMENT_AGREED if a.status == AdjustmentStatus.AGREED else LetterKind.ADJUSTMENT_DECLINED
        letter_id = letter_id_for(kind, a.adjustment_id)
        return [(letter_id, _adjustment_letter(state, a, kind, letter_id))]
    return []


def _warning_letters(state: PartyState, w: WarningEntry) -> list[tuple[str, LetterContent | None]]:
    letter_id = letter_id_for(LetterKind.WARNING, w.warning_id)
    # As for a restriction's end (R12): the first letter states the expiry; a later one
    # moved by a repeat (R5a) is written up once per new expiry.
    expiry_id = _expiry_id(w)
    if letter_id not in state.letter_ids:
        return [(letter_id, _warning_letter(state, w, letter_id)), (expiry_id, None)]
    # The repeat is in the batch that moved the expiry, so its brief is on the state; only a
    # file from before these letters, re-saved after 500 later incidents, lacks it.
    repeat = state.incidents.get(w.extended_by_incident_id) if w.extended_by_incident_id else None
    if repeat is None:
        return [(expiry_id, None)]
    return [(expiry_id, _held_open_letter(state, w, repeat.occurred_at, expiry_id))]


def _restriction_letters(state: PartyState, r: RestrictionEntry) -> list[tuple[str, LetterContent | None]]:
    if r.starts_at is None:
        return []  # awaiting approval, rejected or withdrawn: nothing was put on the party
    if r.status == RestrictionStatus.IN_FORCE:
        kind = _in_force_kind(r)
        letter_id = letter_id_for(kind, r.restriction_id)
        # The first letter states the end; a later end is a move (R12), written up once per new end.
        end_id = _end_id(r)
        if letter_id not in state.letter_ids:
            return [(letter_id, _restriction_letter(state, r, kind, letter_id)), (end_id, None)]
        return [(end_id, _restriction_letter(state, r, LetterKind.END_MOVED, end_id))]
    if r.status == RestrictionStatus.EXPIRED and r.ended_at is not None:
        kind = LetterKind.LIFTED_EARLY if was_lifted(state.tasks, r) else LetterKind.EXPIRED
        letter_id = letter_id_for(LetterKind.EXPIRED, r.restriction_id)  # one ending, however it came
        return [(letter_id, _restriction_letter(state, r, kind, letter_id))]
    return []


def current_letter_ids(state: PartyState) -> list[str]:
    """The letter ids a later letter could repeat: all but those of ends and expiries
    moved again since (neither ever moves earlier, R5a and R12, so an old one's letter
    cannot recur)."""
    moved = (letter_id_for(LetterKind.END_MOVED, ""), letter_id_for(LetterKind.WARNING_HELD_OPEN, ""))
    current = {_end_id(r) for r in state.restrictions} | {_expiry_id(w) for w in state.warnings}
    return [i for i in state.letter_ids if not i.startswith(moved) or i in current]


def _end_id(r: RestrictionEntry) -> str:
    end = r.ends_at.isoformat() if r.ends_at is not None else "open"
    return letter_id_for(LetterKind.END_MOVED, r.restriction_id, end)


def _expiry_id(w: WarningEntry) -> str:
    return letter_id_for(LetterKind.WARNING_HELD_OPEN, w.warning_id, w.expires_at.isoformat())


def _in_force_kind(r: RestrictionEntry) -> LetterKind:
    if r.grounds == RestrictionGrounds.ZERO_TOLERANCE:
        return LetterKind.ZERO_TOLERANCE_STOP
    if r.grounds == RestrictionGrounds.RECURRENCE:
        return LetterKind.REAPPLIED
    if r.grounds == RestrictionGrounds.STEPPING_UP or r.replaces_restriction_id is not None:
        return LetterKind.STEPPED_UP
    return LetterKind.RESTRICTION


def was_lifted(tasks: list[HumanTask], r: RestrictionEntry) -> bool:
    """Ended by a person's decision (lift early, lift a stop), not by its time running out."""
    lifts = (TaskOutcome.LIFT_EARLY, TaskOutcome.LIFT_STOP)
    return any(
        d.outcome in lifts
        for t in tasks
        if t.subject_id == r.restriction_id or t.subject_id in r.incident_ids
        for d in t.decisions
    )


def letter_format(state: PartyState) -> LetterFormat:
    """R16: the format an agreed adjustment asks letters to take (the latest agreed wins)."""
    return format_for(state.adjustments)


def format_for(adjustments: list[AdjustmentEntry]) -> LetterFormat:
    """R16: the format the latest agreed adjustment asks letters to take, from a party's adjustments."""
    formats = [
        a.letter_format for a in adjustments if a.status == AdjustmentStatus.AGREED and a.letter_format is not None
    ]
    return formats[-1] if formats else LetterFormat.STANDARD


def _base(state: PartyState, kind: LetterKind, letter_id: str, subject_id: str, at: datetime) -> dict:
    return {
        "letter_id": letter_id,
        "kind": kind,
        "party_id": state.party.party_id,
        "subject_id": subject_id,
        "decided_at": at,
        "format": letter_format(state),
        "title": LETTER_TITLES[kind],
        "date_written": written_date(at, state.timezone),
    }


def _warning_letter(state: PartyState, w: WarningEntry, letter_id: str) -> LetterContent:
    verbal = (
        f"This letter follows up the warning we gave you in person or by phone on "
        f"{written_date(w.communicated_at, state.timezone)}. "
        if w.method == WarningMethod.VERBAL
        else ""
    )
    return LetterContent(
        **_base(state, LetterKind.WARNING, letter_id, w.warning_id, w.communicated_at),
        about=[CATEGORY_WORDS[c] for c in w.categories],
        reasons=w.reasons,
        dates=[
            LetterDate(label="Warning given", written=written_date(w.communicated_at, state.timezone)),
            LetterDate(label="Warning lasts until", written=written_date(w.expires_at, state.timezone)),
        ],
        next_steps=verbal + "If the behaviour continues or happens again while this warning is in place, we may "
        "restrict how you contact us. If it happens again, the warning will last until six months after that.",
    )


def _held_open_letter(state: PartyState, w: WarningEntry, repeat_at: datetime, letter_id: str) -> LetterContent:
    """R5a: the party was told the warning lasts six months; a repeat has made it last longer."""
    tz = state.timezone
    expires = written_date(w.expires_at, tz)
    return LetterContent(
        **_base(state, LetterKind.WARNING_HELD_OPEN, letter_id, w.warning_id, repeat_at),
        about=[CATEGORY_WORDS[c] for c in w.categories],
        reasons=f"When we warned you on {written_date(w.communicated_at, tz)}, we told you the warning would last "
        f"six months if the behaviour did not happen again. On {written_date(repeat_at, tz)} the same or similar "
        f"behaviour happened again while the warning was in place. Your warning now lasts until {expires}, "
        "six months after that.",
        dates=[
            LetterDate(label="Warning given", written=written_date(w.communicated_at, tz)),
            LetterDate(label="Behaviour happened again", written=written_date(repeat_at, tz)),
            LetterDate(label="Warning now lasts until", written=expires),
        ],
        next_steps="If the behaviour continues or happens again while this warning is in place, we may restrict "
        "how you contact us. If it happens again, the warning will last until six months after that.",
    )


def _restriction_letter(state: PartyState, r: RestrictionEntry, kind: LetterKind, letter_id: str) -> LetterContent:
    tz = state.timezone
    dates: list[LetterDate] = []
    if r.starts_at is not None:
        dates.append(LetterDate(label="Restrictions started", written=written_date(r.starts_at, tz)))
    if kind in (LetterKind.LIFTED_EARLY, LetterKind.EXPIRED) and r.ended_at is not None:
        at = r.ended_at
        dates.append(LetterDate(label="Restrictions ended", written=written_date(r.ended_at, tz)))
        next_steps = (
            "You may contact us in the usual way again. The record stays on file. If the same or similar "
            "behaviour happens again within six months, we may restrict your contact again without a new warning."
        )
        if r.recurrence_window_ends_at is not None:
            dates.append(LetterDate(label="Six months after", written=written_date(r.recurrence_window_ends_at, tz)))
    else:
        at = _decided_at(r, kind)
        if r.ends_at is not None:
            dates.append(LetterDate(label="Restrictions last until", written=written_date(r.ends_at, tz)))
        dates.append(LetterDate(label="Last instance of the behaviour", written=written_date(r.last_instance_at, tz)))
        next_steps = (
            "These restrictions last until six months after the last instance of the behaviour. If it continues "
            "or happens again, they will last until six months after that. We will review them before they end."
        )
    return LetterContent(
        **_base(state, kind, letter_id, r.restriction_id, at),
        about=[CATEGORY_WORDS[c] for c in r.categories],
        reasons=r.reasons,
        measures=[_measure_words(r, m) for m in r.measures],
        arrangements=r.contact_arrangements,
        dates=dates,
        next_steps=next_steps,
        final=True,
    )


def _decided_at(r: RestrictionEntry, kind: LetterKind) -> datetime:
    if kind == LetterKind.END_MOVED:
        return r.last_instance_at
    return r.starts_at or r.decided_at


def _measure_words(r: RestrictionEntry, measure: Measure) -> str:
    terms = r.terms_of(measure)
    words = MEASURE_WORDS[measure]
    return f"{words} ({terms_words(terms)})" if terms is not None else words


def terms_words(terms: MeasureTerms) -> str:
    """A measure's parameters as short words: "channels: email; ..."."""
    parts = []
    for name, value in terms.model_dump(mode="json", exclude={"measure"}, exclude_none=True).items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{name.replace('_', ' ')}: {shown.replace('_', ' ')}")
    return "; ".join(parts)


def _adjustment_letter(state: PartyState, a: AdjustmentEntry, kind: LetterKind, letter_id: str) -> LetterContent:
    at = a.decided_at or a.requested_at
    agreed = kind == LetterKind.ADJUSTMENT_AGREED
    return LetterContent(
        **_base(state, kind, letter_id, a.adjustment_id, at),
        reasons=(f"You asked for: {a.description}. " if a.description else "")
        + (
            "We have agreed to this adjustment."
            if agreed
            else "We took specialist advice and have decided not to make this adjustment."
        )
        + (f" {a.reason}" if a.reason else ""),
        dates=[
            LetterDate(label="You asked on", written=written_date(a.requested_at, state.timezone)),
            LetterDate(label="We decided on", written=written_date(at, state.timezone)),
        ],
        next_steps="We will apply the adjustment from now on. Tell us if it does not help."
        if agreed
        else "If your circumstances change, you may ask again, and we will consider it afresh.",
    )
