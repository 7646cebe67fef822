"""The security log in the inbox, for operations staff (`read_security_log`): the newest
events first, filtered by kind. The same as `ubp security-log` on the API's host."""

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from policy.permissions import Action, NotPermitted
from records.security_log import SecurityEvent
from services.acting import Principal, permit
from web.deps import Door
from web.inbox.routes import _render, _SignInNeeded, _staff, form_key

router = APIRouter(prefix="/inbox", include_in_schema=False)
# The most events one page shows.
SHOWN = 500


@router.get("/security-log", response_class=HTMLResponse)
async def security_log_page(request: Request, door: Door, kind: str = "") -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    page: dict[str, Any] = {"staff": staff, "form_key": form_key(session), "heading": "Security log"}
    try:
        permit(Principal.of(staff), Action.READ_SECURITY_LOG)
    except NotPermitted as refused:
        return _render(request, door, "message.html", status.HTTP_403_FORBIDDEN, message=str(refused), **page)
    chosen = SecurityEvent(kind) if kind in SecurityEvent.__members__.values() else None
    events = await run_in_threadpool(door.store.security_events, kind=chosen, limit=SHOWN)
    return _render(request, door, "security_log.html", events=events, kinds=list(SecurityEvent), chosen=chosen, **page)
