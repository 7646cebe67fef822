"""The staff pages' accessibility statement: the Public Sector Bodies Accessibility Regulations
2018 ask one of internal services too. Open to anyone (it holds no personal data), so that
someone who cannot sign in can still read how to get help."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from web.deps import SESSION_COOKIE, Door, session_of
from web.inbox.routes import _render, form_key

router = APIRouter(prefix="/inbox", include_in_schema=False)


@router.get("/accessibility", response_class=HTMLResponse)
async def accessibility_statement(request: Request, door: Door) -> Response:
    found = await run_in_threadpool(session_of, door, request.cookies.get(SESSION_COOKIE))
    staff, session = found if found else (None, None)
    return _render(
        request,
        door,
        "accessibility.html",
        staff=staff,
        form_key=form_key(session) if session else "",
    )
