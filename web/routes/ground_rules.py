"""Ended calls and ground rules at the ask stage (R4a): recorded after an ask, lifted early."""

from typing import Annotated

from fastapi import APIRouter, Path

from policy.fields import MESSAGE_ID_PATTERN
from policy.messages import EndedCallRecord, GroundRulesLift
from policy.permissions import Action
from policy.replies import CommandOutcome
from services.message_ids import IdKind, claim
from web.bodies import EndedCallRecordBody, GroundRulesLiftBody, message_from
from web.deps import Caller, Door, PartyId
from web.errors import ERRORS, KEY_ID, PATH_PARTY, with_body
from web.headers import IdempotencyKey

router = APIRouter(prefix="/parties", tags=["case systems"], responses=ERRORS)


@router.post(
    "/{party_id}/ended-calls",
    responses=with_body(PATH_PARTY, KEY_ID, "`channel` is phone (a call) or in_person (a meeting)"),
    summary="Record a call or meeting ended after an ask, and ground rules (R4a)",
)
async def record_ended_call(
    party_id: PartyId, body: EndedCallRecordBody, door: Door, caller: Caller, idempotency_key: IdempotencyKey = None
) -> CommandOutcome:
    """The ask must be on file first (409, R4a), and the call ended after it. Ground rules
    given stand six calendar months from `ended_at`; they are not a restriction. An ask may
    carry its ended call itself (`ended_call`)."""
    by = await door.authorise(caller, Action.RECORD_ENDED_CALL, body.ended_by)
    record = message_from(
        EndedCallRecord, body, path={"party_id": party_id}, id_field="call_id", key=idempotency_key, actor=by.actor
    )
    await claim(door.store, IdKind.ENDED_CALL, record.call_id, party_id)
    return await door.parties.record_ended_call(record, by)


@router.post(
    "/{party_id}/ended-calls/{call_id}/lift",
    responses=with_body(PATH_PARTY, "`call_id` in the body, if given, equals the path's"),
    summary="Lift an ended call's ground rules early (R4a)",
)
async def lift_ground_rules(
    party_id: PartyId,
    call_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)],
    body: GroundRulesLiftBody,
    door: Door,
    caller: Caller,
) -> CommandOutcome:
    """Only standing ground rules are lifted (409, R4a, once they lapsed or a restriction
    superseded them); lifting them again changes nothing."""
    by = await door.authorise(caller, Action.LIFT_GROUND_RULES, body.lifted_by)
    lift = message_from(GroundRulesLift, body, path={"party_id": party_id, "call_id": call_id}, actor=by.actor)
    return await door.parties.lift_ground_rules(lift, by)
