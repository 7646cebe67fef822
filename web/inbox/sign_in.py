"""Signing in to the inbox through the body's identity provider (OpenID Connect), and out.

Authorization code with PKCE, through Authlib (a well-kept, widely used implementation of
the protocol: discovery, state, nonce, PKCE, the ID token's signature and claims), never
code of our own. The flow's state, nonce and PKCE verifier wait in a short-lived signed
cookie (Starlette's SessionMiddleware, `__Host-ubp-sign-in`); the session it opens is kept
on the server (records.sessions), and the browser holds only its id.

Signing in starts from a form (POST, with a CSRF field bound to that signed cookie), so a
link cannot sign someone in, nor in as someone else (login CSRF).
"""

import secrets
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool

from records.security_log import SecurityEvent
from services.signing_in import SignInRefused, staff_signing_in
from settings import Settings
from web.deps import SESSION_COOKIE, Door, FrontDoor, session_of
from web.inbox.routes import _redirect, _render, csrf_refused

router = APIRouter(prefix="/inbox", include_in_schema=False)

# The signed cookie that carries a sign-in in progress (and the sign-in form's CSRF token).
SIGN_IN_COOKIE = "__Host-ubp-sign-in"
# How long a sign-in may take at the provider.
SIGN_IN_SECONDS = 600
_CSRF = "csrf"
_NEXT = "next"


def identity_provider(settings: Settings) -> Any:
    """The identity provider's client (Authlib), or None when the settings name none."""
    if not settings.oidc_configured:
        return None
    assert settings.oidc_issuer is not None and settings.oidc_client_secret is not None
    oauth = OAuth()
    return oauth.register(
        "idp",
        server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
    )


def _sign_in_csrf(request: Request) -> str:
    """The sign-in form's CSRF token, kept in the signed sign-in cookie."""
    token: str | None = request.session.get(_CSRF)
    if token is None:
        token = request.session[_CSRF] = secrets.token_urlsafe(32)
    return token


def _local_path(value: str | None) -> str:
    """Where to go after signing in: a path of the inbox only (never another site)."""
    if value and value.startswith("/inbox") and not value.startswith("//") and "\\" not in value:
        return value
    return "/inbox"


def _redirect_uri(request: Request, door: FrontDoor) -> str:
    """The callback the provider knows: from the public address when set (behind a proxy), else this request's."""
    base = door.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/inbox/signed-in"


def _page(request: Request, door: FrontDoor, error: str | None = None, code: int = 200) -> HTMLResponse:
    return _render(
        request,
        door,
        "sign_in.html",
        code,
        error=error,
        staff=None,
        csrf=_sign_in_csrf(request),
        next=_local_path(request.query_params.get(_NEXT)),
        configured=request.app.state.identity_provider is not None,
    )


def _refused(request: Request, door: FrontDoor, code: str, message: str, staff_id: str | None = None) -> Response:
    door.store.record_security_event(SecurityEvent.SIGN_IN_FAILED, staff_id=staff_id, detail=code)
    request.state.security_logged = True
    return _page(request, door, message, status.HTTP_401_UNAUTHORIZED)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, door: Door) -> Response:
    return _page(request, door)


@router.post("/sign-in")
async def sign_in(request: Request, door: Door) -> Response:
    """Off to the identity provider, with a new state, nonce and PKCE verifier."""
    door.sign_ins.check(request.client.host if request.client else "", "sign-in attempts", request)
    form = await request.form()
    if not secrets.compare_digest(str(form.get(_CSRF, "")), request.session.get(_CSRF, "\0")):
        return await run_in_threadpool(
            _refused, request, door, "csrf", "The sign-in form had expired. Sign in again from this page."
        )
    provider = request.app.state.identity_provider
    if provider is None:
        return _page(request, door, "Signing in is not set up: UBP_OIDC_ISSUER.", status.HTTP_503_SERVICE_UNAVAILABLE)
    request.session[_NEXT] = _local_path(str(form.get(_NEXT) or ""))
    redirect: Response = await provider.authorize_redirect(request, _redirect_uri(request, door))
    return redirect


@router.get("/signed-in")
async def signed_in(request: Request, door: Door) -> Response:
    """The provider's answer: checked (state, PKCE, the ID token's signature, issuer, audience,
    nonce), then a new session for the member of staff it names."""
    provider = request.app.state.identity_provider
    if provider is None:
        return _page(request, door, "Signing in is not set up: UBP_OIDC_ISSUER.", status.HTTP_503_SERVICE_UNAVAILABLE)
    try:
        token = await provider.authorize_access_token(request)
    except (OAuthError, JoseError) as err:
        door.sign_ins.check(request.client.host if request.client else "", "sign-in attempts", request)
        code = getattr(err, "error", None) or type(err).__name__
        return await run_in_threadpool(
            _refused, request, door, str(code), "The identity provider's answer was refused. Sign in again."
        )
    claims = token.get("userinfo")
    if not claims:
        return await run_in_threadpool(_refused, request, door, "no_id_token", "The provider sent no ID token.")
    try:
        staff = await run_in_threadpool(staff_signing_in, door.store, claims, door.rules)
    except SignInRefused as err:
        reason = str(err)
        return await run_in_threadpool(_refused, request, door, err.code, f"{reason[:1].upper()}{reason[1:]}.")
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:
        # Signing in again ends the session this browser had: one browser, one live session.
        await run_in_threadpool(door.store.end_session, earlier)
    session_id, _ = await run_in_threadpool(door.store.open_session, staff.staff_id, staff.roles, door.rules.timeouts)
    await run_in_threadpool(door.store.record_security_event, SecurityEvent.SIGN_IN, staff_id=staff.staff_id)
    next_path = _local_path(request.session.get(_NEXT))
    # The sign-in is done: its cookie's state goes, and a new form token with it.
    request.session.clear()
    response = _redirect(next_path, flash=f"Signed in as {staff.name} ({staff.staff_id}).")
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, secure=True, samesite="lax", path="/")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, door: Door) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    found = await run_in_threadpool(session_of, door, session_id)
    if found is None:
        response = _redirect("/inbox/sign-in")
    else:
        form = await request.form()
        staff, session = found
        if not secrets.compare_digest(str(form.get("form_key", "")), session.csrf_token):
            return await run_in_threadpool(csrf_refused, request, door, staff, session)
        assert session_id is not None
        await run_in_threadpool(door.store.end_session, session_id)
        await run_in_threadpool(door.store.record_security_event, SecurityEvent.SIGN_OUT, staff_id=staff.staff_id)
        response = _redirect("/inbox/sign-in", flash="Signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response
