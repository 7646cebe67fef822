"""Case systems' messages to a party: incidents, asks, warnings, restrictions, adjustments, status."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from temporalio.service import RPCError, RPCStatusCode

from policy.fields import MESSAGE_ID_PATTERN
from policy.fields import Door as Entrance
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    IncidentReport,
    RestrictionRequest,
    WarningIssue,
)
from policy.permissions import Action
from policy.replies import CommandOutcome, IncidentOutcome, PartyStatus
from services import contacts, party_acts
from web.bodies import (
    AdjustmentDecisionBody,
    AdjustmentRequestBody,
    AdviceRequestBody,
    AskRecordBody,
    IncidentReportBody,
    RestrictionRequestBody,
    WarningIssueBody,
    message_from,
    mismatch,
)
from web.deps import Caller, Door, PartyId
from web.errors import ERRORS, KEY_ID, PATH_PARTY, Problem, with_body
from web.headers import IdempotencyKey

ADJUSTMENT_PATH = "`adjustment_id` in the body, if given, equals the path's"


class Accepted(BaseModel):
    """A signalled incident: the workflow records it (or, if malformed, its rejection) shortly."""

    incident_id: str
    party_id: str
    accepted: bool = True


router = APIRouter(prefix="/parties", tags=["case systems"], responses=ERRORS)


@router.post(
    "/{party_id}/incidents",
    response_model=IncidentOutcome,
    responses={
        202: {"model": Accepted, "description": "wait=false: sent as a signal, recorded shortly"},
        429: {
            "model": Problem,
            "description": "wait=false past the party's rate (`UBP_SIGNALS_PER_PARTY_PER_MINUTE`, default 300): "
            "try again after `Retry-After`, or send with wait=true",
        },
        **with_body("`party.party_id` equals the path's", KEY_ID, "`behaviour_code` is one under `category`"),
    },
    summary="Report an incident (R2, R18)",
)
async def report_incident(
    party_id: PartyId,
    body: IncidentReportBody,
    door: Door,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
    wait: Annotated[
        bool, Query(description="true: wait for the policy's answer (update); false: fire and forget (signal)")
    ] = True,
) -> IncidentOutcome | JSONResponse:
    """Starts the party's workflow if it has none. With `wait=true` the answer
    is the policy's advice once the incident is on the party's file; a refusal
    (e.g. R3, an incident dated in the future) is a 409. With `wait=false` the
    answer is 202 at once, and a malformed report is kept on the party's status
    under `rejections` instead."""
    if body.party.party_id != party_id:
        raise RequestValidationError([mismatch(("party", "party_id"), body.party.party_id, party_id)])
    by = await door.authorise(caller, Action.REPORT_INCIDENT, body.reported_by)
    if not wait:
        # Past the party's rate, the case system waits (429), or sends with wait=true; checked
        # first, so that a storm costs the records database nothing.
        door.party_signals.check(party_id, "incidents sent without waiting to this party")
    report = message_from(IncidentReport, body, path={}, id_field="incident_id", key=idempotency_key, actor=by.actor)
    outcome = await party_acts.report_incident(door.parties, door.store, report, by, wait=wait)
    if outcome is not None:
        return outcome
    accepted = Accepted(incident_id=report.incident_id, party_id=party_id)
    return JSONResponse(accepted.model_dump(), status_code=status.HTTP_202_ACCEPTED)


@router.post("/{party_id}/asks", responses=with_body(PATH_PARTY, KEY_ID), summary="Record an ask to stop (R4)")
async def record_ask(
    party_id: PartyId, body: AskRecordBody, door: Door, caller: Caller, idempotency_key: IdempotencyKey = None
) -> CommandOutcome:
    by = await door.authorise(caller, Action.RECORD_ASK, body.asked_by)
    ask = message_from(
        AskRecord, body, path={"party_id": party_id}, id_field="ask_id", key=idempotency_key, actor=by.actor
    )
    return await party_acts.record_ask(door.parties, door.store, ask, by)


@router.post("/{party_id}/warnings", responses=with_body(PATH_PARTY, KEY_ID), summary="Issue a warning (R5, R10)")
async def issue_warning(
    party_id: PartyId, body: WarningIssueBody, door: Door, caller: Caller, idempotency_key: IdempotencyKey = None
) -> CommandOutcome:
    by = await door.authorise(caller, Action.ISSUE_WARNING, body.issued_by)
    warning = message_from(
        WarningIssue, body, path={"party_id": party_id}, id_field="warning_id", key=idempotency_key, actor=by.actor
    )
    return await party_acts.issue_warning(door.parties, door.store, warning, by)


@router.post(
    "/{party_id}/restrictions",
    responses=with_body(
        PATH_PARTY,
        KEY_ID,
        "no measure twice",
        "no measures whose parameters contradict each other (policy.measures.check_measures)",
        "a time out ends after `decided_at`",
    ),
    summary="Apply a restriction (R6-R14)",
)
async def apply_restriction(
    party_id: PartyId,
    body: RestrictionRequestBody,
    door: Door,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> CommandOutcome:
    """Grounds are found by the policy; without them the request is refused (409, R14).
    One that needs approval (R7, R9) answers `awaiting_approval` and opens a task."""
    by = await door.authorise(caller, party_acts.restriction_action(body), body.proposed_by)
    request = message_from(
        RestrictionRequest,
        body,
        path={"party_id": party_id},
        id_field="restriction_id",
        key=idempotency_key,
        actor=by.actor,
    )
    return await party_acts.apply_restriction(door.parties, door.store, request, by)


@router.post(
    "/{party_id}/adjustments",
    responses=with_body(PATH_PARTY, KEY_ID),
    summary="Record a requested reasonable adjustment (R16)",
)
async def request_adjustment(
    party_id: PartyId,
    body: AdjustmentRequestBody,
    door: Door,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> PartyStatus:
    by = await door.authorise(caller, Action.REQUEST_ADJUSTMENT, body.recorded_by)
    request = message_from(
        AdjustmentRequest,
        body,
        path={"party_id": party_id},
        id_field="adjustment_id",
        key=idempotency_key,
        actor=by.actor,
    )
    # Its answer is the party's status: shown as every read of it is (R16, R18).
    return await party_acts.request_adjustment(door.parties, door.store, request, by, caller.viewer)


@router.post(
    "/{party_id}/adjustments/{adjustment_id}/advice",
    responses=with_body(PATH_PARTY, ADJUSTMENT_PATH),
    summary="Ask a specialist adviser about an adjustment (R16)",
)
async def seek_advice(
    party_id: PartyId,
    adjustment_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)],
    body: AdviceRequestBody,
    door: Door,
    caller: Caller,
) -> PartyStatus:
    """Opens one advice task per adjustment: asking again changes nothing."""
    by = await door.authorise(caller, Action.SEEK_ADVICE, body.requested_by)
    path = {"party_id": party_id, "adjustment_id": adjustment_id}
    request = message_from(AdviceRequest, body, path=path, actor=by.actor)
    # Its answer is the party's status: shown as every read of it is (R16, R18).
    return await party_acts.seek_advice(door.parties, request, by, caller.viewer)


@router.post(
    "/{party_id}/adjustments/{adjustment_id}/decision",
    responses=with_body(PATH_PARTY, ADJUSTMENT_PATH),
    summary="Agree or decline an adjustment (R16)",
)
async def decide_adjustment(
    party_id: PartyId,
    adjustment_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)],
    body: AdjustmentDecisionBody,
    door: Door,
    caller: Caller,
) -> PartyStatus:
    """Declining needs the specialist's advice first (409, R16). The same
    decision sent again (same person, same `decided_at`) changes nothing."""
    by = await door.authorise(caller, Action.DECIDE_ADJUSTMENT, body.decided_by)
    path = {"party_id": party_id, "adjustment_id": adjustment_id}
    decision = message_from(AdjustmentDecision, body, path=path, actor=by.actor)
    # Its answer is the party's status: shown as every read of it is (R16, R18).
    return await party_acts.decide_adjustment(door.parties, decision, by, caller.viewer)


@router.get(
    "/{party_id}",
    responses={
        404: {"model": Problem, "description": "the party has no workflow"},
        502: {"model": Problem, "description": "the party's status query failed in its workflow"},
    },
    summary="A party's status",
)
async def party_status(party_id: PartyId, door: Door, caller: Caller) -> PartyStatus:
    """Stage, deadlines, warnings, restrictions, open tasks, closed cases (R17) and rejected
    messages, with the contact gate's latest answers from the party's file. A party whose
    workflow completed answers from its last run. Each read is logged on the party's file:
    who, when, through which door; never what was read."""
    try:
        return await contacts.party_status(door.parties, door.store, party_id, caller, Entrance.API)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"party {party_id} has no workflow") from None
        raise
