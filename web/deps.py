"""What every route depends on: the app's services, and who is signed in."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from client.parties import PartyClient
from policy.fields import PARTY_ID_PATTERN
from records.store import RecordStore
from records.tables import StaffRow
from services.staff import NotSignedIn, staff_for
from settings import Settings


@dataclass(frozen=True)
class FrontDoor:
    """The dependencies of every route: one per app, kept on `app.state`, so
    tests can hand in the time-skipping server's client and a test database."""

    parties: PartyClient
    store: RecordStore
    settings: Settings


def front_door(request: Request) -> FrontDoor:
    door: FrontDoor = request.app.state.front_door
    return door


bearer = HTTPBearer(auto_error=False, description="a token from `ubp staff token STAFF_ID`")


def not_signed_in(err: NotSignedIn) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, str(err), headers={"WWW-Authenticate": "Bearer"})


async def signed_in(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    door: Annotated[FrontDoor, Depends(front_door)],
) -> StaffRow:
    """The member of staff whose bearer token came with the request."""
    try:
        return await run_in_threadpool(staff_for, door.store, credentials.credentials if credentials else None)
    except NotSignedIn as err:
        raise not_signed_in(err) from None


Door = Annotated[FrontDoor, Depends(front_door)]
Staff = Annotated[StaffRow, Depends(signed_in)]
PartyId = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the case system's party id")]
