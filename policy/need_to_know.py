"""Need to know: who may read a party's special-category details. Pure: no IO.

The support a colleague was offered after an incident (R18) and a party's
reasonable adjustments and the advice on them (R16) speak of health and
disability. They are shown in detail only to the roles that handle them
(policy.permissions: READ_SUPPORT, READ_ADJUSTMENTS) and, for support, to the
colleague concerned: the support task's subject. Everyone else who may read the
party's file sees that they exist, what state they are in and who may read
them, never what they say.

This module is the one place that decides it. The timeline (policy.timeline)
asks a `Viewer` here entry by entry; the party's status, which every door reads
through services.contacts.party_status (the API's GET /parties/{id}, `ubp
status`, the inbox's party summary), goes through `status_for`.
"""

from dataclasses import dataclass
from typing import TypeVar

from policy.permissions import PERMISSIONS, Action, may
from policy.replies import PartyStatus
from policy.state import AdjustmentEntry, DecisionEntry, HumanTask, Rejection
from policy.vocabulary import AdjustmentStatus, Role, TaskKind, TaskOutcome, in_words

T = TypeVar("T", bound=HumanTask)


@dataclass(frozen=True)
class Viewer:
    """Who reads: the signed-in principal (a member of staff, or a case system's account) and their roles."""

    staff_id: str
    roles: frozenset[Role]

    def sees_support_of(self, colleague: str) -> bool:
        """R18: the managers who arrange a colleague's support, and the colleague themselves."""
        return self.staff_id == colleague or may(self.roles, Action.READ_SUPPORT)

    def sees_adjustments(self) -> bool:
        """R16: those who decide on adjustments and advise on them."""
        return may(self.roles, Action.READ_ADJUSTMENTS)

    def sees_letter_format_of(self, adjustment: AdjustmentEntry) -> bool:
        """R16: the format an agreed adjustment gives the party's letters (large print,
        plain text) is shown to those who decide and advise on adjustments, and to
        everyone who reads and sends the party's letters (READ_LETTERS: colleagues and
        the case system). They must send what they write in it, the letters this
        system does not make included; it says how to write, not why (the description,
        the reason and the advice stay withheld); and every letter they read carries
        it already (records.letters.LetterInfo.format). Until the adjustment is agreed,
        or once it is declined, the format is only part of what was asked for."""
        agreed = adjustment.status == AdjustmentStatus.AGREED
        return self.sees_adjustments() or (agreed and may(self.roles, Action.READ_LETTERS))

    def task_readers(self, task: HumanTask) -> str | None:
        """Who may read a task's details, if this viewer may not: a colleague's support
        (R18), or advice on an adjustment (R16); None if they may."""
        if task.kind == TaskKind.COLLEAGUE_SUPPORT and not self.sees_support_of(task.subject_id):
            return SUPPORT_READERS
        if task.kind == TaskKind.ADJUSTMENT_ADVICE and not self.sees_adjustments():
            return ADJUSTMENT_READERS
        return None


def _readers(roles: frozenset[Role]) -> str:
    named = [in_words(role) for role in Role if role in roles]
    return f"the roles {', '.join(named[:-1])} and {named[-1]}" if len(named) > 1 else f"the role {named[0]}"


SUPPORT_READERS = f"{_readers(PERMISSIONS[Action.READ_SUPPORT].roles)}, and to the colleague concerned (R18)"
ADJUSTMENT_READERS = f"{_readers(PERMISSIONS[Action.READ_ADJUSTMENTS].roles)} (R16)"
# A rejected task decision may be about a colleague's support or about advice on an
# adjustment; the rejection does not say which task's kind, so both must be readable.
BOTH_READERS = (
    f"{_readers(PERMISSIONS[Action.READ_SUPPORT].roles & PERMISSIONS[Action.READ_ADJUSTMENTS].roles)} (R16, R18)"
)

# What a support task is about, in place of its summary (which names the colleague).
SUPPORT_TASK = "Support for a colleague after an incident"
# What a decision withheld from a viewer was, by its outcome; any other outcome's reason is "The reason".
WITHHELD_DECISIONS = {
    TaskOutcome.SUPPORT_RECORDED: "Support was recorded for a colleague",
    TaskOutcome.ADVICE_GIVEN: "The specialist's advice",
}
# In place of a support task's subject: the colleague concerned is who the support is for.
WITHHELD_SUBJECT = "withheld (R18)"

# The workflow's message handlers (policy.authority.HANDLER_ACTION) whose rejected
# payload may hold an adjustment's description or the reason for a decision on it (R16).
ADJUSTMENT_MESSAGES = frozenset({"request_adjustment", "decide_adjustment"})
# And the one whose payload may hold a colleague's support (R18) or a specialist's advice (R16).
TASK_DECISION_MESSAGE = "decide_task"


def withheld(what: str, readers: str) -> str:
    """The words in place of a detail: what it is, and who may read it."""
    return f"{what}: shown only to {readers}"


def withheld_decision(decision: DecisionEntry, readers: str) -> str:
    return withheld(WITHHELD_DECISIONS.get(decision.outcome, "The reason"), readers)


def adjustment_decided_withheld(adjustment: AdjustmentEntry, viewer: Viewer) -> tuple[str | None, bool]:
    """What of an adjustment's decision `viewer` may not read: the words in its place
    (None if nothing is withheld), and whether the letter format is shown."""
    hidden = []
    if adjustment.reason and not viewer.sees_adjustments():
        hidden.append("reason")
    format_shown = viewer.sees_letter_format_of(adjustment)
    if adjustment.letter_format is not None and not format_shown:
        hidden.append("letters from now on")
    words = withheld(f"What was decided ({' and '.join(hidden)})", ADJUSTMENT_READERS) if hidden else None
    return words, format_shown


def task_for(task: T, viewer: Viewer) -> T:
    """A task as `viewer` may read it: ids, kind, status, dates and who decided kept."""
    readers = viewer.task_readers(task)
    if readers is None:
        return task
    decisions = [
        d.model_copy(update={"reason": withheld_decision(d, readers), "support_offered": []})
        if d.reason or d.support_offered
        else d
        for d in task.decisions
    ]
    if task.kind != TaskKind.COLLEAGUE_SUPPORT:
        # An advice task's summary and subject name only the adjustment's id: they stay.
        return task.model_copy(update={"decisions": decisions})
    # A support task's summary, subject and conflict of interest all name the colleague.
    return task.model_copy(
        update={
            "summary": withheld(SUPPORT_TASK, readers),
            "subject_id": WITHHELD_SUBJECT,
            "excluded_staff": [],
            "decisions": decisions,
        }
    )


def adjustment_for(adjustment: AdjustmentEntry, viewer: Viewer) -> AdjustmentEntry:
    """An adjustment as `viewer` may read it: its id, status, dates and who recorded and
    decided it kept; the letter format as `Viewer.sees_letter_format_of` says."""
    if viewer.sees_adjustments():
        return adjustment
    decided, format_shown = adjustment_decided_withheld(adjustment, viewer)
    return adjustment.model_copy(
        update={
            "description": withheld("What was asked for", ADJUSTMENT_READERS),
            # Before a decision, a format asked for is part of what was asked for.
            "reason": decided if adjustment.status != AdjustmentStatus.REQUESTED else None,
            "letter_format": adjustment.letter_format if format_shown else None,
        }
    )


def rejection_for(rejection: Rejection, viewer: Viewer) -> Rejection:
    """A rejected message as `viewer` may read it: the payload as received may carry an
    adjustment (R16) or a decision on a colleague's support (R18); when, what, its id
    and why it was rejected are kept."""
    if not rejection.payload:
        return rejection
    if rejection.message in ADJUSTMENT_MESSAGES and not viewer.sees_adjustments():
        readers = ADJUSTMENT_READERS
    elif rejection.message == TASK_DECISION_MESSAGE and not (
        viewer.sees_adjustments() and may(viewer.roles, Action.READ_SUPPORT)
    ):
        readers = BOTH_READERS
    else:
        return rejection
    return rejection.model_copy(update={"payload": withheld("The message as received", readers)})


def status_for(status: PartyStatus, viewer: Viewer) -> PartyStatus:
    """A party's status as `viewer` may read it (R16, R18).

    Every task, adjustment and rejection stays, with its ids, kind, status and
    dates: a case system still sees that an adjustment was asked for and agreed,
    or that a colleague-support task is open and when it is due. In place of each
    detail `viewer` may not read stand the timeline's words: what it is, and who
    may read it.
    """
    return status.model_copy(
        update={
            "open_tasks": [task_for(t, viewer) for t in status.open_tasks],
            "adjustments": [adjustment_for(a, viewer) for a in status.adjustments],
            "rejections": [rejection_for(r, viewer) for r in status.rejections],
        }
    )
