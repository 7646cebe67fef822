"""Builders for the policy's messages and a small driver that applies them the
way the party workflow does: `check_*` first (an update validator), then
`apply_*`. Shared by the rule tests and the property tests."""

from datetime import UTC, datetime

from policy import rules
from policy.effects import Effect
from policy.messages import (
    AskRecord,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.replies import IncidentOutcome
from policy.state import PartyState
from policy.vocabulary import Category, Measure, PartyKind, Role, TaskOutcome, WarningMethod

PARTY_ID = "party-1"

# A behaviour code that is under each category (R2).
CODE_FOR = {
    Category.UNACCEPTABLE_DEMANDS: "unreasonable_timescales",
    Category.UNACCEPTABLE_CONTACT_LEVELS: "excessive_contact",
    Category.REFUSING_TO_COOPERATE: "withholding_information",
    Category.OVERBEARING_OR_CONTROLLING: "talking_over_or_interrupting",
    Category.AGGRESSIVE_OR_ABUSIVE: "verbal_abuse",
    Category.ZERO_TOLERANCE: "threat_of_harm",
}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def party_ref(
    party_id: str = PARTY_ID,
    kind: PartyKind = PartyKind.INDIVIDUAL,
    professional_capacity: bool = False,
) -> PartyRef:
    return PartyRef(party_id=party_id, kind=kind, professional_capacity=professional_capacity)


def new_state(party: PartyRef | None = None) -> PartyState:
    return PartyState(party=party or party_ref())


def incident(
    incident_id: str,
    occurred_at: datetime,
    category: Category = Category.AGGRESSIVE_OR_ABUSIVE,
    party: PartyRef | None = None,
) -> IncidentReport:
    return IncidentReport(
        incident_id=incident_id,
        party=party or party_ref(),
        category=category,
        behaviour_code=CODE_FOR[category],
        occurred_at=occurred_at,
        reported_by="staff-1",
    )


def ask(ask_id: str, incident_ids: list[str], asked_at: datetime) -> AskRecord:
    return AskRecord(ask_id=ask_id, party_id=PARTY_ID, incident_ids=incident_ids, asked_at=asked_at, asked_by="staff-1")


def warning(warning_id: str, incident_ids: list[str], communicated_at: datetime) -> WarningIssue:
    return WarningIssue(
        warning_id=warning_id,
        party_id=PARTY_ID,
        incident_ids=incident_ids,
        communicated_at=communicated_at,
        issued_by="staff-2",
        method=WarningMethod.WRITTEN,
        reasons="Abusive language continued after we asked you to stop.",
    )


def restriction(
    restriction_id: str,
    incident_ids: list[str],
    decided_at: datetime,
    measures: list[Measure] | None = None,
    replaces: str | None = None,
) -> RestrictionRequest:
    return RestrictionRequest(
        restriction_id=restriction_id,
        party_id=PARTY_ID,
        incident_ids=incident_ids,
        measures=measures or [Measure.SINGLE_NAMED_CONTACT],
        proposed_by="staff-3",
        reasons="Abuse continued while a warning was in place.",
        contact_arrangements="Contact only through the named caseworker.",
        replaces_restriction_id=replaces,
        decided_at=decided_at,
    )


def task_decision(
    task_id: str, decided_by: str, role: Role, outcome: TaskOutcome, decided_at: datetime, **extra
) -> TaskDecision:
    return TaskDecision(
        decision_id=f"d-{task_id}-{outcome.value}",
        party_id=PARTY_ID,
        task_id=task_id,
        decided_by=decided_by,
        role=role,
        outcome=outcome,
        decided_at=decided_at,
        **extra,
    )


class Party:
    """One party's state, driven like the workflow drives it: check, then apply."""

    def __init__(self, party: PartyRef | None = None) -> None:
        self.state = new_state(party)

    def incident(self, report: IncidentReport, now: datetime) -> tuple[IncidentOutcome, list[Effect]]:
        rules.check_incident(self.state, report, now)
        return rules.apply_incident(self.state, report, now)

    def ask(self, record: AskRecord, now: datetime) -> list[Effect]:
        rules.check_ask(self.state, record, now)
        return rules.apply_ask(self.state, record, now)

    def warn(self, issue: WarningIssue, now: datetime) -> list[Effect]:
        rules.check_warning(self.state, issue, now)
        return rules.apply_warning(self.state, issue, now)

    def restrict(self, request: RestrictionRequest, now: datetime) -> list[Effect]:
        rules.check_restriction(self.state, request, now)
        return rules.apply_restriction(self.state, request, now)

    def advance(self, now: datetime) -> list[Effect]:
        return rules.advance_time(self.state, now)
