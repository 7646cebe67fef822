"""Corrections and disputes (UK GDPR Art. 16): an annex to a party's file. Pure: no IO.

A record on the file is never changed after the fact: it is what the rules
acted on, and a workflow run rebuilds its state from it. When a record is
wrong, a manager adds a correction beside it; when the person says it is
wrong, any colleague adds their statement that they dispute it. Either is
kept with the original, shows on the timeline (policy.timeline), and goes
into every later subject access export (policy.subject_access).
"""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, StrictBool

from policy.dates import written_date
from policy.fields import Door, Message, MessageId
from policy.letters import LETTER_TITLES, LetterContent, LetterDate, LetterKind, format_for, letter_id_for
from policy.permissions import Action
from policy.refusals import PolicyRefusal
from policy.vocabulary import Role, TaskKind, in_words

if TYPE_CHECKING:
    from policy.timeline import PartyFile

# The rule a refusal names: Art. 16 is about a record the body holds.
RULE = "Art. 16"


class AnnexKind(StrEnum):
    CORRECTION = "correction"  # the body corrects its record
    DISPUTE = "dispute"  # the person's own statement that the record is wrong


# Who may add each kind (policy.permissions).
ANNEX_ACTION = {AnnexKind.CORRECTION: Action.RECORD_CORRECTION, AnnexKind.DISPUTE: Action.RECORD_DISPUTE}


class RecordKind(StrEnum):
    """The records on a party's file a correction or dispute may be about, each by its id."""

    INCIDENT = "incident"
    ASK = "ask"
    ENDED_CALL = "ended_call"
    WARNING = "warning"
    RESTRICTION = "restriction"
    DECISION = "decision"
    ADJUSTMENT = "adjustment"
    CLOSED_CASE = "closed_case"
    LETTER = "letter"


class CorrectionForm(Message):
    """What a door sends to add a correction or dispute; who adds it comes from who signed in."""

    correction_id: MessageId = Field(description="idempotency key: the same id is recorded once")
    about_kind: RecordKind = Field(description="the kind of record it is about")
    about_id: MessageId = Field(description="that record's id on the party's file (a case reference for a closed case)")
    text: str = Field(
        min_length=1,
        max_length=10_000,
        description="the correction, or the person's statement in their words",
    )
    letter: StrictBool = Field(
        default=False, description="put it on a letter to the person, kept with their letters (R10) to send"
    )


class CorrectionEntry(BaseModel):
    """A correction or dispute on file: what it is about, what it says, and who added it as the
    door authenticated them."""

    correction_id: str
    kind: AnnexKind
    about_kind: RecordKind
    about_id: str
    text: str
    recorded_at: datetime
    recorded_by: str
    role: Role
    via: str | None = None
    door: Door
    letter_id: str | None = Field(default=None, description="the letter it was put on, if it was")


def record_ids(file: "PartyFile", kind: RecordKind) -> set[str]:
    """The ids of the records of `kind` on the file. A colleague's support (R18) is theirs,
    not the party's: its decisions are not the party's to correct or dispute."""
    if kind == RecordKind.DECISION:
        return {d.decision_id for t in file.tasks if t.kind != TaskKind.COLLEAGUE_SUPPORT for d in t.decisions}
    ids: dict[RecordKind, set[str]] = {
        RecordKind.INCIDENT: {i.incident_id for i in file.incidents},
        RecordKind.ASK: {a.ask_id for a in file.asks},
        RecordKind.ENDED_CALL: {c.call_id for c in file.ended_calls},
        RecordKind.WARNING: {w.warning_id for w in file.warnings},
        RecordKind.RESTRICTION: {r.restriction_id for r in file.restrictions},
        RecordKind.ADJUSTMENT: {a.adjustment_id for a in file.adjustments},
        RecordKind.CLOSED_CASE: {c.case_reference for c in file.closed_cases},
        RecordKind.LETTER: {letter.letter_id for letter in file.letters},
    }
    return ids[kind]


def check_about(file: "PartyFile", form: CorrectionForm) -> None:
    """A correction or dispute is about a record on this party's file.

    Raises:
        PolicyRefusal: (409) No record of that kind and id is on the file.
    """
    if form.about_id not in record_ids(file, form.about_kind):
        raise PolicyRefusal(
            RULE,
            f"no {form.about_kind.value.replace('_', ' ')} {form.about_id} is on party {file.party_id}'s file",
        )


ANNEX_LETTERS = {AnnexKind.CORRECTION: LetterKind.CORRECTION, AnnexKind.DISPUTE: LetterKind.DISPUTE_NOTED}


def annex_letter_id(form: CorrectionForm, kind: AnnexKind) -> str | None:
    """The id of the letter a correction or dispute is put on; None if it is not."""
    return letter_id_for(ANNEX_LETTERS[kind], form.correction_id) if form.letter else None


def annex_letter(file: "PartyFile", entry: CorrectionEntry, timezone: str) -> LetterContent:
    """A correction or dispute put on a letter to the person (R10's letters, in the format their
    adjustments ask for, R16), quoting the record by its reference."""
    assert entry.letter_id is not None  # only a correction or dispute put on a letter has one
    kind = ANNEX_LETTERS[entry.kind]
    record = f"{in_words(entry.about_kind)} {entry.about_id}"
    if entry.kind == AnnexKind.CORRECTION:
        words = (
            f"Our record of the {record} was not right. We have added this correction to it: {entry.text} "
            "We keep the record as it was, with the correction beside it."
        )
    else:
        words = (
            f"You told us that our record of the {record} is wrong. We have added your statement to it, in "
            f"your words: {entry.text} We keep the record as it was, with your statement beside it."
        )
    return LetterContent(
        letter_id=entry.letter_id,
        kind=kind,
        party_id=file.party_id,
        subject_id=entry.about_id,
        decided_at=entry.recorded_at,
        format=format_for(file.adjustments),
        title=LETTER_TITLES[kind],
        date_written=written_date(entry.recorded_at, timezone),
        reasons=words,
        dates=[LetterDate(label="Added to our records", written=written_date(entry.recorded_at, timezone))],
        next_steps="Whenever we tell you what we hold about you, we will include both. If you think anything "
        "else we hold about you is wrong, tell us, quoting our reference.",
    )
