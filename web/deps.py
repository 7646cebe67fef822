"""What every route depends on: the app's services, and who is signed in.

Two ways in, never mixed: a bearer token (case systems, and `ubp`) in the Authorization
header, and the inbox's session (the identity provider's sign-in) in its cookie. A token
in the cookie, or a session id as a bearer token, signs nobody in.
"""

from dataclasses import dataclass, field
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
from records.tables import StaffRow, WebSessionRow
from services.acting import Principal, authorise, principal_for
from services.signing_in import SignInRules
from services.staff import NotSignedIn
from settings import Settings
from web.front_door import RateLimit


@dataclass(frozen=True)
class FrontDoor:
    """The dependencies of every route: one per app, kept on `app.state`, so
    tests can hand in the time-skipping server's client and a test database."""

    parties: PartyClient
    store: RecordStore
    settings: Settings
    key_ring: KeyRing | None = None
    rules: SignInRules = field(init=False)
    # Rate limits: requests per principal, and sign-in attempts per client address.
    per_principal: RateLimit = field(init=False)
    sign_ins: RateLimit = field(init=False)
    # And signalled incidents per party: a storm of them would wedge its workflow.
    party_signals: RateLimit = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", SignInRules.of(self.settings))
        object.__setattr__(self, "per_principal", RateLimit(self.settings.requests_per_minute))
        object.__setattr__(self, "sign_ins", RateLimit(self.settings.sign_in_per_minute))
        object.__setattr__(self, "party_signals", RateLimit(self.settings.signals_per_party_per_minute))

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


bearer = HTTPBearer(auto_error=False, description="a token from `ubp staff token ACCOUNT_ID`")

# The inbox's session id. `__Host-`: the browser sends it only to this host, over HTTPS,
# for every path, and no subdomain can set it. The Temporal UI's calls to the codec
# endpoint carry it too (browsers send cookies to any port of the host).
SESSION_COOKIE = "__Host-ubp-session"


def not_signed_in(err: NotSignedIn) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, str(err), headers={"WWW-Authenticate": "Bearer"})


def session_of(door: FrontDoor, session_id: str | None) -> tuple[StaffRow, WebSessionRow] | None:
    """The active member of staff and the live session a session cookie names, or None."""
    if not session_id:
        return None
    session = door.store.live_session(session_id, door.rules.timeouts)
    if session is None:
        return None
    staff = door.store.staff(session.staff_id)
    # Deactivation ends sessions; this holds even for a row written around it.
    return (staff, session) if staff is not None and staff.active else None


def _admitted(request: Request, door: FrontDoor, principal: Principal) -> Principal:
    """Noted for the security log, and counted against its rate limit (429)."""
    request.state.principal_id = principal.id
    door.per_principal.check(principal.id, "requests", request)
    return principal


async def signed_in(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    door: Annotated[FrontDoor, Depends(front_door)],
) -> Principal:
    """The principal (a case system, or a member of staff using `ubp`) whose bearer token came with the request."""
    try:
        principal = await run_in_threadpool(principal_for, door.store, credentials.credentials if credentials else None)
    except NotSignedIn as err:
        raise not_signed_in(err) from None
    return _admitted(request, door, principal)


async def signed_in_or_session(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    door: Annotated[FrontDoor, Depends(front_door)],
) -> Principal:
    """The principal whose bearer token came with the request, else the one signed in to the inbox."""
    if credentials is not None:
        return await signed_in(request, credentials, door)
    found = await run_in_threadpool(session_of, door, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise not_signed_in(NotSignedIn("sign in to the inbox, or send a bearer token"))
    return _admitted(request, door, Principal.of(found[0]))


Door = Annotated[FrontDoor, Depends(front_door)]
Caller = Annotated[Principal, Depends(signed_in)]
PartyId = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the case system's party id")]
