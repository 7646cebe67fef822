"""A subject access export (UK GDPR Art. 15): everything on a party's file, as the person may
receive it. Pure: no IO.

What goes in: every record on the file (incidents, asks, ended calls and their
ground rules, warnings, restrictions and stops with their measures, decisions
with their reasons, adjustments and the advice on them, letters, closed cases,
stage changes), the contact gate's answers, and every correction and dispute
(policy.corrections). It is read as the timeline reads it (policy.timeline),
so the readable document and the inbox say the same thing in the same words.

What is left out or redacted, by rule, since it is other people's personal
data (Art. 15(4)):

- a colleague's support after an incident (R18): the task, its decisions and
  what was offered are the colleague's, never the party's; they are left out
  whole, whoever asks;
- staff: named as the staff list names them, or each replaced by "a member of
  staff" with the role they acted in, as the body chooses
  (`UBP_SUBJECT_ACCESS_STAFF_NAMES`); who else was eligible or excluded for a
  task is left out either way;
- the third party a contact came through: that one did is kept, not who;
- messages the system could not apply: not a record about the person, and
  their text may be anyone's; left out.
"""

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from policy.contacts import ContactAnswer
from policy.dates import written_date
from policy.letters import CATEGORY_WORDS, MEASURE_WORDS
from policy.need_to_know import Viewer
from policy.state import AdjustmentEntry, HumanTask
from policy.timeline import GROUNDS_WORDS, PartyFile, TimelineEntry, timeline
from policy.vocabulary import ContactChannel, ContactHandling, GroundRulesStatus, Stage, TaskKind, in_words

# In place of a member of staff, when the body keeps its staff's names out of exports.
A_MEMBER_OF_STAFF = "a member of staff"


class StaffNames(StrEnum):
    """How an export shows the staff on a party's file: the body's choice (a setting)."""

    KEEP = "keep"  # as the staff list names them
    ROLES = "roles"  # "a member of staff", with the role they acted in where the file says


class SubjectViewer(Viewer):
    """The person themselves: their own adjustments and the advice on them in full (R16), a
    colleague's support (R18) never, even were it left on the file given to `timeline`."""

    def sees_support_of(self, colleague: str) -> bool:
        return False

    def sees_adjustments(self) -> bool:
        return True


class ContactOnFile(BaseModel):
    """A contact from the person and how the contact gate said to handle it (R8, R17, R19)."""

    contact_id: str
    received_at: datetime
    channel: ContactChannel
    case_reference: str | None = None
    addressed_to: str | None = None
    through_a_third_party: bool = False
    handling: ContactHandling
    reply: bool
    respond_by: date | None = None
    explanation: str
    arrangements: list[str] = Field(default_factory=list)


class LeftOut(BaseModel):
    what: str
    why: str


LEFT_OUT = [
    LeftOut(
        what="Support offered to our staff after an incident",
        why="It is about our staff, not about you (their personal data), so it is never included.",
    ),
    LeftOut(
        what="Which of our staff could decide a task, or were kept from deciding it",
        why="It is about our staff's work, not about you.",
    ),
    LeftOut(
        what="Who a third party who contacted us for you is",
        why="It is their personal data; that a contact came through someone else is shown.",
    ),
    LeftOut(
        what="Messages our system could not apply",
        why="They are not records about you, and their text may be about other people.",
    ),
]


class SubjectAccessExport(BaseModel):
    """Everything on the party's file the person may have, as data: the JSON export is this."""

    party_id: str
    produced_at: datetime
    timezone: str
    staff_names: StaffNames
    file: PartyFile
    contacts: list[ContactOnFile] = Field(default_factory=list)
    left_out: list[LeftOut] = Field(default_factory=lambda: list(LEFT_OUT))

    def counts(self) -> dict[str, int]:
        """How many of each kind of record it holds: what an export log line says, never what they say."""
        f = self.file
        return {
            "incidents": len(f.incidents),
            "asks": len(f.asks),
            "ended_calls": len(f.ended_calls),
            "warnings": len(f.warnings),
            "restrictions": len(f.restrictions),
            "decisions": sum(len(t.decisions) for t in f.tasks),
            "adjustments": len(f.adjustments),
            "letters": len(f.letters),
            "closed_cases": len(f.closed_cases),
            "contacts": len(self.contacts),
            "corrections": len(f.corrections),
        }

    def entries(self) -> list[TimelineEntry]:
        """The file in date order, in words: the readable document's body."""
        return timeline(self.file, self.timezone, SubjectViewer(staff_id="", roles=frozenset()))


def subject_access_export(
    file: PartyFile,
    contacts: list[ContactAnswer],
    staff: Mapping[str, str],
    staff_names: StaffNames,
    produced_at: datetime,
    timezone: str,
) -> SubjectAccessExport:
    """The export of a party's file, other people's personal data left out or redacted by rule.

    Args:
        file: The party's whole file, corrections and disputes included.
        contacts: The contact gate's answers on file for the party.
        staff: Every member of staff by id, to their name.
        staff_names: Whether staff keep their names or are replaced by "a member of staff".
        produced_at: When the export is made.
        timezone: The body's: dates in words are its local dates.
    """
    who = _staff_shown(staff, staff_names)
    scrub = _scrubber(staff, who)
    support = {t.task_id for t in file.tasks if t.kind == TaskKind.COLLEAGUE_SUPPORT}
    support_decisions = {d.decision_id for t in file.tasks if t.task_id in support for d in t.decisions}
    redacted = file.model_copy(
        update={
            "incidents": [
                i.model_copy(
                    update={
                        "reported_by": who(i.reported_by),
                        "experienced_by": who(i.experienced_by) if i.experienced_by else None,
                    }
                )
                for i in file.incidents
            ],
            "asks": [a.model_copy(update={"asked_by": who(a.asked_by)}) for a in file.asks],
            "ended_calls": [
                c.model_copy(
                    update={
                        "ended_by": who(c.ended_by),
                        "ground_rules": c.ground_rules.model_copy(update={"ended_by": who(c.ground_rules.ended_by)})
                        # Only a lift names a member of staff; a superseded one names its restriction.
                        if c.ground_rules is not None
                        and c.ground_rules.status == GroundRulesStatus.LIFTED
                        and c.ground_rules.ended_by
                        else c.ground_rules,
                    }
                )
                for c in file.ended_calls
            ],
            "warnings": [w.model_copy(update={"issued_by": who(w.issued_by)}) for w in file.warnings],
            "restrictions": [
                r.model_copy(
                    update={"proposed_by": who(r.proposed_by), "contact_arrangements": scrub(r.contact_arrangements)}
                )
                for r in file.restrictions
            ],
            "tasks": [_task(t, who) for t in file.tasks if t.task_id not in support],
            "adjustments": [_adjustment(a, who) for a in file.adjustments],
            "closed_cases": [c.model_copy(update={"closed_by": who(c.closed_by)}) for c in file.closed_cases],
            "rejections": [],
            "acted": [
                a.model_copy(update={"actor": who(a.actor)})
                for a in file.acted
                if not (a.message_kind == "decision" and a.message_id in support_decisions)
            ],
            "corrections": [c.model_copy(update={"recorded_by": who(c.recorded_by)}) for c in file.corrections],
        }
    )
    return SubjectAccessExport(
        party_id=file.party_id,
        produced_at=produced_at,
        timezone=timezone,
        staff_names=staff_names,
        file=redacted,
        contacts=[_contact(c, who, scrub) for c in contacts],
    )


def _staff_shown(staff: Mapping[str, str], choice: StaffNames) -> Callable[[str], str]:
    if choice == StaffNames.ROLES:
        return lambda staff_id: A_MEMBER_OF_STAFF
    return lambda staff_id: staff.get(staff_id, staff_id)


def _scrubber(staff: Mapping[str, str], who: Callable[[str], str]) -> Callable[[str], str]:
    """Staff ids written into free text (a contact's explanation, a stop's arrangements) shown as
    `who` shows them elsewhere."""
    if not staff:
        return lambda text: text
    ids = re.compile(r"(?<![\w.:-])(" + "|".join(re.escape(s) for s in sorted(staff, key=len, reverse=True)) + r")\b")
    return lambda text: ids.sub(lambda m: who(m.group(1)), text)


def _task(t: HumanTask, who: Callable[[str], str]) -> HumanTask:
    return t.model_copy(
        update={
            "excluded_staff": [],
            "eligible_staff": [],
            "decisions": [
                d.model_copy(update={"decided_by": who(d.decided_by), "support_offered": []}) for d in t.decisions
            ],
        }
    )


def _adjustment(a: AdjustmentEntry, who: Callable[[str], str]) -> AdjustmentEntry:
    return a.model_copy(
        update={"recorded_by": who(a.recorded_by), "decided_by": who(a.decided_by) if a.decided_by else None}
    )


def _contact(c: ContactAnswer, who: Callable[[str], str], scrub: Callable[[str], str]) -> ContactOnFile:
    return ContactOnFile(
        contact_id=c.contact.contact_id,
        received_at=c.contact.received_at,
        channel=c.contact.channel,
        case_reference=c.contact.case_reference,
        addressed_to=who(c.contact.to_whom) if c.contact.to_whom else None,
        through_a_third_party=c.contact.via_third_party is not None,
        handling=c.handling,
        reply=c.reply,
        respond_by=c.respond_by,
        explanation=scrub(c.explanation),
        arrangements=[scrub(a) for a in c.arrangements],
    )


class CoverSection(BaseModel):
    heading: str
    paragraphs: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)


# The rules the file names by their code, in words.
RULE_WORDS = {
    "R2": "the kinds of behaviour the policy covers",
    "R3": "what we keep on file, and for how long",
    "R4": "asking you to stop",
    "R4a": "ending a call or meeting, and ground rules for later ones",
    "R5": "a warning, which lasts six months",
    "R5a": "a warning held open by behaviour repeated while it lasts",
    "R6": "restricting contact after a warning",
    "R7": "restrictions that need the approval of the Ombudsman or the Executive Team",
    "R8": "the ways contact may be restricted",
    "R9": "the most serious restrictions, which need that approval too",
    "R10": "our letters explaining each decision",
    "R11": "reviewing a restriction, and stronger restrictions",
    "R12": "how long a restriction lasts: six months after the last instance",
    "R13": "behaviour repeated within six months after a restriction ended",
    "R15": "behaviour we do not tolerate at all, which stops direct contact at once",
    "R16": "reasonable adjustments",
    "R17": "closed cases, after we said there will be no further reply",
    "R19": "how soon we reply",
    "Art. 16": "your right to have a record corrected, or your statement added to it",
}


def cover_note(export: SubjectAccessExport, body_name: str) -> list[CoverSection]:
    """What the document is, how to read its dates and codes, and what is not in it and why."""
    staff = (
        "Our staff are named as our staff list names them."
        if export.staff_names == StaffNames.KEEP
        else f'Our staff are shown as "{A_MEMBER_OF_STAFF}", with the role they acted in where our records say.'
    )
    return [
        CoverSection(
            heading="What this is",
            paragraphs=[
                f"This is everything {body_name} holds about you on its file under its policy on unacceptable "
                f"behaviour, as it stood on {written_date(export.produced_at, export.timezone)}, in answer to your "
                "request under Article 15 of the UK General Data Protection Regulation. Our reference for you "
                f"is {export.party_id}.",
                "Each record is listed once, oldest first, with our reference for it in brackets. Where we "
                "corrected a record, or you told us a record is wrong, that is listed beside it and the "
                "original is kept as it was.",
                staff,
            ],
        ),
        CoverSection(
            heading="Dates and times",
            paragraphs=[
                f"Dates and times are UK time ({export.timezone}). Six months means six calendar months: a "
                "warning or restriction that lasts six months from 31 August lasts until 28 February (29 in "
                "a leap year).",
            ],
        ),
        CoverSection(
            heading="The rules our records name",
            items=[f"{code}: {words}" for code, words in RULE_WORDS.items()],
        ),
        CoverSection(heading="Kinds of behaviour", items=[w[0].upper() + w[1:] for w in CATEGORY_WORDS.values()]),
        CoverSection(
            heading="Stages",
            items=[f"{in_words(s).capitalize()}" for s in Stage if s != Stage.NONE],
        ),
        CoverSection(heading="Why a restriction was allowed", items=list(GROUNDS_WORDS.values())),
        CoverSection(heading="Ways contact may be restricted", items=list(MEASURE_WORDS.values())),
        CoverSection(
            heading="What is not included, and why",
            items=[f"{item.what}: {item.why}" for item in export.left_out],
        ),
    ]
