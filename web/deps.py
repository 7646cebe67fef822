"""What every route depends on: the app's services, and who is signed in."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from client.codec import EncryptionCodec
from client.connection import key_ring_of
from client.door import Acting
from client.keys import KeyRing
from client.parties import PartyClient
from policy.fields import PARTY_ID_PATTERN
from policy.fields import Door as Entrance
from policy.permissions import Action
from records.store import RecordStore
from services.acting import Principal, authorise, principal_for
from services.staff import NotSignedIn
from settings import Settings


@dataclass(frozen=True)
class FrontDoor:
    """The dependencies of every route: one per app, kept on `app.state`, so
    tests can hand in the time-skipping server's client and a test database."""

    parties: PartyClient
    store: RecordStore
    settings: Settings
    key_ring: KeyRing | None = None

    async def authorise(
        self, caller: Principal, action: Action, named: str | None = None, entrance: Entrance = Entrance.API
    ) -> Acting:
        """Who acts when `caller` takes `action` (services.acting.authorise).

        Raises:
            NotPermitted: (403) As `authorise` says.
        """
        return await run_in_threadpool(authorise, self.store, caller, action, entrance, named)

    def codec(self, namespace: str) -> EncryptionCodec:
        """The codec for payloads of `namespace`: the given key ring, else the party client's."""
        return EncryptionCodec(self.key_ring or key_ring_of(self.parties.client), namespace)


def front_door(request: Request) -> FrontDoor:
    door: FrontDoor = request.app.state.front_door
    return door


bearer = HTTPBearer(auto_error=False, description="a token from `ubp staff token STAFF_ID`")

# The inbox's sign-in, kept for the whole site: the Temporal UI's calls to the
# codec endpoint carry it too (browsers send cookies to any port of the host).
SESSION_COOKIE = "ubp_inbox_token"


def not_signed_in(err: NotSignedIn) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, str(err), headers={"WWW-Authenticate": "Bearer"})


async def signed_in(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    door: Annotated[FrontDoor, Depends(front_door)],
) -> Principal:
    """The principal (a member of staff, or a case system) whose bearer token came with the request."""
    try:
        return await run_in_threadpool(principal_for, door.store, credentials.credentials if credentials else None)
    except NotSignedIn as err:
        raise not_signed_in(err) from None


async def signed_in_or_session(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    door: Annotated[FrontDoor, Depends(front_door)],
) -> Principal:
    """The principal whose bearer token came with the request, else the one signed in to the inbox."""
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    try:
        return await run_in_threadpool(principal_for, door.store, token)
    except NotSignedIn as err:
        raise not_signed_in(err) from None


Door = Annotated[FrontDoor, Depends(front_door)]
Caller = Annotated[Principal, Depends(signed_in)]
PartyId = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the case system's party id")]
