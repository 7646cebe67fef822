"""What a member of staff does to a party's file, the one path every door takes: the HTTP API
(web/routes), the staff pages (web/inbox) and, through the API, `ubp`.

The door has already authenticated the principal and asked `services.acting.authorise` who
acts (`by`), and built the message with that actor; here the message's other staff are
checked against the staff list, its id is claimed for the party (an id on file for another
party is refused, services.message_ids), and the party's workflow is sent it and answers.
"""

import asyncio

from client.door import Acting
from client.parties import PartyClient
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    CaseClosure,
    IncidentReport,
    RestrictionRequest,
    WarningIssue,
)
from policy.need_to_know import Viewer, status_for
from policy.permissions import Action
from policy.replies import CaseClosureOutcome, CommandOutcome, IncidentOutcome, PartyStatus
from records.store import RecordStore
from services.acting import require_staff_named
from services.message_ids import IdKind, claim


async def report_incident(
    parties: PartyClient, store: RecordStore, report: IncidentReport, by: Acting, *, wait: bool = True
) -> IncidentOutcome | None:
    """R2, R18: an incident on the party's file; starts the party's workflow if it has none.

    Args:
        wait: True: the policy's advice once it is on file; False: sent as a signal, None back.

    Raises:
        UnknownStaff: `experienced_by` is not active staff.
        IdOfAnotherParty: The incident id is on file for another party.
    """
    await asyncio.to_thread(require_staff_named, store, report.experienced_by, "experienced_by")
    await claim(store, IdKind.INCIDENT, report.incident_id, report.party.party_id)
    if wait:
        return await parties.report_incident(report, by)
    await parties.send_incident(report, by)
    return None


async def record_ask(parties: PartyClient, store: RecordStore, ask: AskRecord, by: Acting) -> CommandOutcome:
    """R4: the party was asked to stop."""
    await claim(store, IdKind.ASK, ask.ask_id, ask.party_id)
    return await parties.record_ask(ask, by)


async def issue_warning(parties: PartyClient, store: RecordStore, warning: WarningIssue, by: Acting) -> CommandOutcome:
    """R5, R10: a warning, with its letter."""
    await claim(store, IdKind.WARNING, warning.warning_id, warning.party_id)
    return await parties.issue_warning(warning, by)


def restriction_action(request: RestrictionRequest) -> Action:
    """The permission a restriction takes: a step up (R11) when it replaces one, else a proposal (R6)."""
    return Action.STEP_UP if request.replaces_restriction_id else Action.PROPOSE_RESTRICTION


async def apply_restriction(
    parties: PartyClient, store: RecordStore, request: RestrictionRequest, by: Acting
) -> CommandOutcome:
    """R6-R14: measures for the party; refused without grounds (R14), held for approval (R7, R9)."""
    await claim(store, IdKind.RESTRICTION, request.restriction_id, request.party_id)
    return await parties.apply_restriction(request, by)


async def request_adjustment(
    parties: PartyClient, store: RecordStore, request: AdjustmentRequest, by: Acting, viewer: Viewer
) -> PartyStatus:
    """R16: an adjustment the party asked for; the answer is the status as `viewer` may see it."""
    await claim(store, IdKind.ADJUSTMENT, request.adjustment_id, request.party_id)
    return status_for(await parties.request_adjustment(request, by), viewer)


async def seek_advice(parties: PartyClient, request: AdviceRequest, by: Acting, viewer: Viewer) -> PartyStatus:
    """R16: a specialist adviser asked about an adjustment (one advice task per adjustment)."""
    return status_for(await parties.seek_advice(request, by), viewer)


async def decide_adjustment(
    parties: PartyClient, decision: AdjustmentDecision, by: Acting, viewer: Viewer
) -> PartyStatus:
    """R16: an adjustment agreed or declined (declining needs the adviser's advice first)."""
    return status_for(await parties.decide_adjustment(decision, by), viewer)


async def close_case(parties: PartyClient, closure: CaseClosure, by: Acting) -> CaseClosureOutcome:
    """R17: a case closed with notice of no further reply; starts the party's workflow if needed."""
    return await parties.record_case_closure(closure, by)
