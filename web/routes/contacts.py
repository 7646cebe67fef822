"""The contact gate (R8, R17, R19) and closed cases (R17): `/parties/{id}/contacts`, `/parties/{id}/closed-cases`."""

from fastapi import APIRouter

from policy.contacts import ContactAnswer
from policy.messages import CaseClosure, InboundContact
from policy.permissions import Action
from policy.replies import CaseClosureOutcome
from services import party_acts
from services.contacts import answer_contact
from web.bodies import CaseClosureBody, InboundContactBody, message_from
from web.deps import Caller, Door, PartyId
from web.errors import ERRORS, KEY_ID, PATH_PARTY, with_body
from web.headers import IdempotencyKey

router = APIRouter(prefix="/parties", tags=["case systems"], responses=ERRORS)


@router.post(
    "/{party_id}/contacts",
    responses=with_body(PATH_PARTY, KEY_ID),
    summary="How to handle an inbound contact, and by when (R8, R17, R19)",
)
async def contact_gate(
    party_id: PartyId, body: InboundContactBody, door: Door, caller: Caller, idempotency_key: IdempotencyKey = None
) -> ContactAnswer:
    """The contact gate's one answer: the handling, the respond-by date (10 working days,
    England and Wales bank holidays, or the extended response time), and the measures
    and rules behind it. A contact against a measure is flagged as a possible attempted
    instance (R12): report it as an incident if it is one; the gate never does.

    Answered from the party's open workflow by a query, or from its file when it has
    none (no workflow is started). The answer is kept in the party's contact log; the
    same `contact_id` again answers what is on file, with `duplicate: true`. A
    `contact_id` on file for another party is a 409."""
    await door.authorise(caller, Action.ASK_CONTACT_GATE)
    contact = message_from(
        InboundContact, body, path={"party_id": party_id}, id_field="contact_id", key=idempotency_key
    )
    return await answer_contact(door.parties, door.store, contact)


@router.post(
    "/{party_id}/closed-cases",
    responses=with_body(PATH_PARTY),
    summary="Record a case closed with notice of no further reply (R17)",
)
async def record_case_closure(
    party_id: PartyId, body: CaseClosureBody, door: Door, caller: Caller
) -> CaseClosureOutcome:
    """Later written contact about the case is logged without being read or answered,
    unless it raises a new complaint. The case reference is the key: closing the same
    case again changes nothing (`duplicate: true`). Starts the party's workflow if needed."""
    by = await door.authorise(caller, Action.CLOSE_CASE, body.closed_by)
    closure = message_from(CaseClosure, body, path={"party_id": party_id}, actor=by.actor)
    return await party_acts.close_case(door.parties, closure, by)
