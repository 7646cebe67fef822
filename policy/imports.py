"""Bulk import: a party's history from an old case system, as the policy would have made it.

A body adopting the orchestrator brings parties with incidents, asks,
warnings, restrictions (with their approvals) and closed cases already on
file. Each is a line of a JSON Lines file, tagged by `record`. A party's
lines are replayed through the rules in the order they happened, each at its
own time: the same `check_*` refuses what the policy would have refused, and
time passes between them (`rules.advance_time`), so what expired did expire
and what is live is live, with its original dates (R5, R5a, R12, R13).

What the replay leaves is the party's file as the workflow keeps it, minus
what was decided in the old system: no colleague-support task for a past
incident (R18), no notice about a task nobody here will see, no task the
replay opened and withdrew again. A task still undecided (an approval a
restriction awaits, a review of a restriction in force, the review of a
zero-tolerance stop in force) is opened as of the import, with a notice.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, Field

from policy import decisions, rules, tasks
from policy.effects import Effect, NoticeQueued, TaskSaved
from policy.fields import AwareDatetime, Message, MessageId, NoSeal, PartyId, StaffId
from policy.messages import (
    AskRecord,
    CaseClosure,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.refusals import PolicyRefusal
from policy.state import HumanTask, PartyState
from policy.tasks import ALTERNATES
from policy.vocabulary import RestrictionStatus, Role, TaskKind, TaskOutcome, TaskStatus


class ImportedIncident(IncidentReport):
    record: Literal["incident"]
    authority: NoSeal = None


class ImportedAsk(AskRecord):
    record: Literal["ask"]
    authority: NoSeal = None


class ImportedWarning(WarningIssue):
    record: Literal["warning"]
    authority: NoSeal = None


class ImportedRestriction(RestrictionRequest):
    record: Literal["restriction"]
    authority: NoSeal = None


class ImportedApproval(Message):
    """R7, R9: the decision on a restriction that needed approval, as the old system recorded it."""

    record: Literal["approval"]
    party_id: PartyId
    restriction_id: MessageId
    outcome: Literal[TaskOutcome.APPROVE, TaskOutcome.REJECT]
    decided_by: StaffId
    role: Role = Field(description="R7's approvers, or their alternates (ADO, Head of Ombudsman Assurance)")
    reason: str = Field(default="", max_length=4000, description="R10: required to reject")
    decided_at: AwareDatetime


class ImportedClosure(CaseClosure):
    record: Literal["closed_case"]
    authority: NoSeal = None


# An imported line is the old system's record, not a message through the door: it carries
# no seal (one given is refused); who imported it is on the import ledger (`imported_by`).
ImportLine = Annotated[
    ImportedIncident | ImportedAsk | ImportedWarning | ImportedRestriction | ImportedApproval | ImportedClosure,
    Field(discriminator="record"),
]

M = TypeVar("M")

# Lines at the same instant apply in the order the policy needs them.
_ORDER = {"incident": 0, "ask": 1, "warning": 2, "restriction": 3, "approval": 4, "closed_case": 5}


def party_of(line: ImportLine) -> str:
    return line.party.party_id if isinstance(line, ImportedIncident) else line.party_id


def profile_of(lines: Sequence[ImportLine], party_id: str) -> PartyRef:
    """The party as its latest incident describes it (R1: the latest profile sent wins)."""
    incidents = sorted((line for line in lines if isinstance(line, ImportedIncident)), key=happened_at)
    return incidents[-1].party if incidents else PartyRef(party_id=party_id)


def happened_at(line: ImportLine) -> datetime:
    """The instant a line records: the policy's dates run from it."""
    match line:
        case ImportedIncident():
            return line.occurred_at
        case ImportedAsk():
            return line.asked_at
        case ImportedWarning():
            return line.communicated_at
        case ImportedRestriction() | ImportedApproval():
            return line.decided_at
        case ImportedClosure():
            return line.closed_at


class PartyImportRefused(Exception):
    """A line the policy refuses: the party's lines are imported all or none."""

    def __init__(self, line_number: int, reason: str) -> None:
        super().__init__(f"line {line_number}: {reason}")
        self.line_number = line_number
        self.reason = reason


class ImportedParty(BaseModel):
    """A party's state as the policy would have made it, and the effects that write its file."""

    party: PartyRef
    state: PartyState
    effects: list[Effect]
    live: bool = Field(description="something is live: its workflow must run to keep its deadlines")


def replay_party(lines: Sequence[tuple[int, ImportLine]], now: datetime, timezone: str, party_id: str) -> ImportedParty:
    """Replay one party's lines through the rules, each at its own time, then bring it to `now`.

    Args:
        lines: (line number, line), all of the party, in any order.
        now: The time of the import: what is due by then is done (expiries, windows).
        timezone: The body's time zone, for the policy's dates.
        party_id: The party.

    Returns:
        The party's state and the effects that write its file.

    Raises:
        PartyImportRefused: For the first line the policy refuses, or one dated after `now`.
    """
    ordered = sorted(lines, key=lambda nl: (happened_at(nl[1]), _ORDER[nl[1].record], nl[0]))
    # As the first incident has it; each later one's profile is saved as the rules save it (R1).
    first = next((line.party for _, line in ordered if isinstance(line, ImportedIncident)), None)
    state = PartyState(party=first or PartyRef(party_id=party_id), timezone=timezone)
    effects: list[Effect] = []
    for number, line in ordered:
        at = happened_at(line)
        if at > now + rules.CLOCK_SKEW_ALLOWANCE:
            raise PartyImportRefused(number, f"R3: dated {at.isoformat()}, after the import ({now.isoformat()})")
        effects += rules.advance_time(state, at)
        try:
            effects += _apply(state, line, at)
        except PolicyRefusal as refusal:
            raise PartyImportRefused(number, str(refusal)) from None
    effects += rules.advance_time(state, now)
    effects = _decided_here_only(state, effects, now)
    return ImportedParty(party=state.party, state=state, effects=effects, live=not rules.is_dormant(state, now))


def _apply(state: PartyState, line: ImportLine, at: datetime) -> list[Effect]:
    message = _message(line)
    match message:
        case IncidentReport():
            rules.check_incident(state, message, at)
            return rules.apply_incident(state, message, at)[1]
        case AskRecord():
            return _checked(rules.check_ask, rules.apply_ask, state, message, at)
        case WarningIssue():
            return _checked(rules.check_warning, rules.apply_warning, state, message, at)
        case RestrictionRequest():
            return _checked(rules.check_restriction, rules.apply_restriction, state, message, at)
        case CaseClosure():
            return _checked(rules.check_case_closure, rules.apply_case_closure, state, message, at)
    assert isinstance(line, ImportedApproval)
    return _approval(state, line, at)


def _checked(
    check: Callable[[PartyState, M, datetime], None],
    apply: Callable[[PartyState, M, datetime], list[Effect]],
    state: PartyState,
    message: M,
    at: datetime,
) -> list[Effect]:
    check(state, message, at)
    return apply(state, message, at)


def _message(line: ImportLine) -> IncidentReport | AskRecord | WarningIssue | RestrictionRequest | CaseClosure | None:
    """The message a line carries, as the rules take it (without its `record` tag)."""
    fields = line.model_dump(exclude={"record"})
    match line:
        case ImportedIncident():
            return IncidentReport.model_validate(fields)
        case ImportedAsk():
            return AskRecord.model_validate(fields)
        case ImportedWarning():
            return WarningIssue.model_validate(fields)
        case ImportedRestriction():
            return RestrictionRequest.model_validate(fields)
        case ImportedClosure():
            return CaseClosure.model_validate(fields)
    return None


def _approval(state: PartyState, line: ImportedApproval, at: datetime) -> list[Effect]:
    """R7, R9: the old system's decision on an approval, checked as any decision is."""
    task_id = f"approve-{line.restriction_id}"
    task = state.task(task_id)
    if task is None:
        raise PolicyRefusal(
            "R7", f"restriction {line.restriction_id} does not await approval (it needs none, or is not on file)"
        )
    effects: list[Effect] = []
    if line.role in ALTERNATES:
        # R7: the alternates decide when the Executive Team could not; the old system let them.
        effects += tasks.escalate(state, task, at, f"decided by the {line.role.value} in the previous case system")
    decision = TaskDecision(
        decision_id=f"import:{line.restriction_id}",
        party_id=line.party_id,
        task_id=task_id,
        decided_by=line.decided_by,
        role=line.role,
        outcome=line.outcome,
        reason=line.reason,
        decided_at=line.decided_at,
    )
    decisions.check_decision(state, decision, at)
    return effects + decisions.apply_decision(state, decision, at)[2]


def _kept(state: PartyState, task: HumanTask) -> bool:
    """A task the import keeps: a decided approval (its decision is the R7 record), or
    one still undecided about something live. The old system followed up its own
    colleagues (R18); what the replay withdrew nobody here ever saw."""
    if task.kind == TaskKind.COLLEAGUE_SUPPORT:
        return False
    if task.status == TaskStatus.DONE:
        return task.kind == TaskKind.RESTRICTION_APPROVAL
    if task.status != TaskStatus.OPEN:
        return False
    if task.kind == TaskKind.ZERO_TOLERANCE_REVIEW:
        return any(
            task.subject_id in r.incident_ids and r.status == RestrictionStatus.IN_FORCE for r in state.restrictions
        )
    return True


def _decided_here_only(state: PartyState, effects: list[Effect], now: datetime) -> list[Effect]:
    """Drop the replay's notices and the tasks the import does not keep; open the
    undecided ones as of the import, so their dates run from it."""
    state.tasks = [t for t in state.tasks if _kept(state, t)]
    kept = {t.task_id for t in state.tasks}
    effects = [
        e
        for e in effects
        if not isinstance(e, NoticeQueued) and (not isinstance(e, TaskSaved) or e.task.task_id in kept)
    ]
    for task in state.tasks:
        if task.status == TaskStatus.OPEN:
            task.created_at = now
            effects += tasks.announce(state, task, now)
    return effects
