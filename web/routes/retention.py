"""R3's erasure on request: `POST /parties/{id}/erasure`, as the signed-in member of staff."""

from fastapi import APIRouter

from client.retention import RetentionClient
from policy.fields import Door as Entrance
from policy.payloads import ErasureOutcome
from services.retention import ErasureForm, erase_party
from web.deps import Caller, Door, PartyId
from web.errors import ERRORS, with_body

router = APIRouter(prefix="/parties", tags=["retention"], responses=ERRORS)


@router.post(
    "/{party_id}/erasure",
    responses=with_body(),
    summary="Erase a party's file and its workflow runs, on request (R3)",
)
async def erase(party_id: PartyId, body: ErasureForm, door: Door, caller: Caller) -> ErasureOutcome:
    """Who asks is the signed-in member of staff: a manager or a senior role (403 otherwise,
    naming the rule; a case system may not ask for itself). Refused while anything about the
    party is live (409, R3) unless `force`d by someone acting as the Ombudsman or the
    Executive Team. Done or refused, the request is in the removal log with who asked,
    in which role, and `reason`. The answer waits until the erasure is done."""
    retention = RetentionClient(door.parties.client, door.parties.task_queue, door.parties.door)
    return await erase_party(
        retention,
        caller=caller,
        door=Entrance.API,
        party_id=party_id,
        reason=body.reason,
        role=body.role,
        force=body.force,
    )
