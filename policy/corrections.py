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

from pydantic import BaseModel, Field

from policy.fields import Door, Message, MessageId
from policy.permissions import Action
from policy.refusals import PolicyRefusal
from policy.vocabulary import Role, TaskKind

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
