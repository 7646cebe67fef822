"""Demo parties at different stages, so a new user sees real workflows at once.

Ids are fixed, so seeding twice changes nothing (every message is idempotent).
"""

from datetime import UTC, datetime, timedelta

from client.parties import PartyClient
from policy.messages import (
    AskRecord,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    WarningIssue,
)
from policy.vocabulary import Category, Measure, PartyKind, Role
from records.store import RecordStore


def _incident(party: PartyRef, n: int, at: datetime, category: Category, code: str) -> IncidentReport:
    return IncidentReport(
        incident_id=f"{party.party_id}-inc-{n}",
        party=party,
        category=category,
        behaviour_code=code,
        occurred_at=at,
        reported_by="demo-colleague",
        experienced_by="demo-caseworker",
        channel="phone",
        summary="Demo incident",
    )


async def _ask_warn(parties: PartyClient, party: PartyRef, start: datetime) -> list[str]:
    """Incident, ask, repeat, warning: the common path into the warned stage."""
    first = _incident(party, 1, start, Category.AGGRESSIVE_OR_ABUSIVE, "verbal_abuse")
    second = _incident(party, 2, start + timedelta(days=3), Category.AGGRESSIVE_OR_ABUSIVE, "rudeness")
    await parties.report_incident(first)
    await parties.record_ask(
        AskRecord(
            ask_id=f"{party.party_id}-ask-1",
            party_id=party.party_id,
            incident_ids=[first.incident_id],
            asked_at=start,
            asked_by="demo-caseworker",
        )
    )
    await parties.report_incident(second)
    await parties.issue_warning(
        WarningIssue(
            warning_id=f"{party.party_id}-warn-1",
            party_id=party.party_id,
            incident_ids=[second.incident_id],
            communicated_at=second.occurred_at + timedelta(hours=2),
            issued_by="demo-caseworker",
            reasons="Abusive language continued after we asked you to stop.",
        )
    )
    return [first.incident_id, second.incident_id]


async def _restrict(parties: PartyClient, party: PartyRef, at: datetime, measures: list[Measure]) -> None:
    repeat = _incident(party, 3, at, Category.AGGRESSIVE_OR_ABUSIVE, "agitated_or_intimidating")
    await parties.report_incident(repeat)
    await parties.apply_restriction(
        RestrictionRequest(
            restriction_id=f"{party.party_id}-res-1",
            party_id=party.party_id,
            incident_ids=[repeat.incident_id],
            measures=measures,
            proposed_by="demo-manager",
            reasons="The behaviour continued while a warning was in place.",
            contact_arrangements="Contact only with your named caseworker, by email.",
            decided_at=at,
        )
    )


DEMO_STAFF = {
    "demo-colleague": ("Dana Colleague", [Role.COLLEAGUE]),
    "demo-caseworker": ("Casey Caseworker", [Role.COLLEAGUE]),
    "demo-manager": ("Morgan Manager", [Role.MANAGER]),
    "demo-line-manager": ("Lee Line-Manager", [Role.MANAGER]),
    "demo-ombudsman": ("Olu Ombudsman", [Role.OMBUDSMAN]),
    "demo-executive": ("Edie Executive", [Role.EXECUTIVE_TEAM]),
    "demo-ado": ("Ash Assistant-Deputy", [Role.ASSISTANT_DEPUTY_OMBUDSMAN]),
    "demo-assurance": ("Hal Assurance", [Role.HEAD_OF_OMBUDSMAN_ASSURANCE]),
    "demo-adviser": ("Sam Specialist", [Role.SPECIALIST_ADVISER]),
    "demo-operations": ("Oakley Operations", [Role.OPERATIONS]),
}


# The demo manager also gets the daily digest, to show it in the mail catcher.
DIGEST_STAFF = frozenset({"demo-manager"})
# A case system's own account, acting for itself and for the demo colleagues who use it.
DEMO_CASE_SYSTEM = "demo-case-system"
DEMO_CASE_SYSTEM_ACTS_FOR = ("demo-caseworker", "demo-colleague")


async def seed(parties: PartyClient, store: RecordStore) -> list[str]:
    """Create the demo staff (one per role, each with an address) and parties; return one line per party."""
    for staff_id, (name, roles) in DEMO_STAFF.items():
        store.add_staff(staff_id, name, roles, email=f"{staff_id}@example.org", digest=staff_id in DIGEST_STAFF)
    store.add_system(DEMO_CASE_SYSTEM, "Demo case system", DEMO_CASE_SYSTEM_ACTS_FOR)
    now = datetime.now(UTC)
    asked = PartyRef(party_id="demo-asked")
    await parties.report_incident(
        _incident(asked, 1, now - timedelta(days=1), Category.UNACCEPTABLE_DEMANDS, "unreasonable_timescales")
    )
    await parties.record_ask(
        AskRecord(
            ask_id="demo-asked-ask-1",
            party_id=asked.party_id,
            incident_ids=["demo-asked-inc-1"],
            asked_at=now - timedelta(days=1),
            asked_by="demo-caseworker",
        )
    )
    warned = PartyRef(party_id="demo-warned")
    await _ask_warn(parties, warned, now - timedelta(days=20))
    restricted = PartyRef(party_id="demo-restricted")
    await _ask_warn(parties, restricted, now - timedelta(days=60))
    await _restrict(
        parties, restricted, now - timedelta(days=5), [Measure.SINGLE_NAMED_CONTACT, Measure.SINGLE_CONTACT_CHANNEL]
    )
    organisation = PartyRef(party_id="demo-organisation", kind=PartyKind.ORGANISATION)
    await _ask_warn(parties, organisation, now - timedelta(days=40))
    await _restrict(parties, organisation, now - timedelta(days=2), [Measure.RESTRICT_TIME_OR_VOLUME])
    threat = PartyRef(party_id="demo-zero-tolerance")
    await parties.report_incident(
        _incident(threat, 1, now - timedelta(hours=3), Category.ZERO_TOLERANCE, "threat_of_harm")
    )
    lines = []
    for party in (asked, warned, restricted, organisation, threat):
        status = await parties.status(party.party_id)
        lines.append(f"{party.party_id}: stage {status.stage.value}, next deadline {status.next_deadline}")
    return lines
