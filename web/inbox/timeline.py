"""A party's timeline in the inbox, and its letters to download: for staff signed in
whose role may read them (policy.permissions), each read logged (services).

Everything on the party's file, oldest first (policy.timeline), so whoever
decides a task sees the party's story and not only a summary, a page of
200 entries at a time (`?page=N`); a colleague's support (R18) and a party's
adjustments (R16) in detail only to those who need to know. The letters
are served as stored, as from the API's `/letters/{id}/pdf`.
"""

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from policy.fields import Door as Entrance
from policy.permissions import NotPermitted
from services.acting import Principal
from services.letters import LetterNotFound, LetterPart, letter_document
from services.timeline import NoSuchPage, party_timeline
from web.deps import Door
from web.downloads import download_response
from web.inbox.acting import party_actions
from web.inbox.routes import _render, _SignInNeeded, _staff, form_key

router = APIRouter(prefix="/inbox", include_in_schema=False)


@router.get("/parties/{party_id}", response_class=HTMLResponse)
async def timeline_page(request: Request, party_id: str, door: Door, page: str = "1") -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    context: dict[str, Any] = {"staff": staff, "form_key": form_key(session)}
    try:
        found = await run_in_threadpool(
            party_timeline,
            door.store,
            party_id,
            door.settings.timezone,
            Principal.of(staff),
            Entrance.INBOX,
            int(page) if page.isdigit() else 0,
        )
    except NotPermitted as err:
        forbidden = {"heading": "Not permitted", "message": str(err)}
        return _render(request, door, "message.html", status.HTTP_403_FORBIDDEN, **forbidden, **context)
    except NoSuchPage as err:
        return _render(request, door, "message.html", status.HTTP_404_NOT_FOUND, message=str(err), **context)
    if found is None:
        message = f"No party {party_id} is on file."
        return _render(request, door, "message.html", status.HTTP_404_NOT_FOUND, message=message, **context)
    actions = party_actions(staff, party_id)
    return _render(request, door, "timeline.html", found=found, file=found.file, actions=actions, **context)


@router.get("/letters/{letter_id}.{part}")
async def letter_download(request: Request, letter_id: str, part: str, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    page: dict[str, Any] = {"staff": staff, "form_key": form_key(session)}
    try:
        document = await run_in_threadpool(
            letter_document, door.store, letter_id, LetterPart(part), Principal.of(staff), Entrance.INBOX
        )
    except NotPermitted as err:
        forbidden = {"heading": "Not permitted", "message": str(err)}
        return _render(request, door, "message.html", status.HTTP_403_FORBIDDEN, **forbidden, **page)
    except (ValueError, LetterNotFound):
        message = f"No letter {letter_id}.{part} is on file: letters are .pdf or .html."
        return _render(request, door, "message.html", status.HTTP_404_NOT_FOUND, message=message, **page)
    return download_response(document)
