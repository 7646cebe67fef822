"""Issue "Staff sign in with the body's own identity provider": in Chromium, against a real
OpenID provider started locally (devstack/identity.py: the certified `oidc-provider`),
never a mock of the protocol. Sign in, see one's tasks, sign out; someone the staff list
does not know is refused; an expired session asks to sign in again; a tampered state or
nonce is refused. Screenshots in var/test-artifacts/.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from playwright.async_api import BrowserContext, Route
from sqlalchemy import update

from records.security_log import SecurityEvent
from records.tables import WebSessionRow
from tests.browser import Inbox, ZeroToleranceParty, assert_accessible, browser_marks, screenshot, subject_of
from web.deps import SESSION_COOKIE

pytestmark = browser_marks()
VIEWPORT = {"width": 1280, "height": 900}


def _events(inbox: Inbox, kind: SecurityEvent) -> list[tuple[str | None, str | None]]:
    return [(e.staff_id, e.detail) for e in inbox.store.security_events(kind=kind)]


async def _session_cookie(context: BrowserContext) -> dict:
    [cookie] = [c for c in await context.cookies() if c["name"] == SESSION_COOKIE]
    return dict(cookie)


async def test_a_manager_signs_in_sees_their_tasks_and_signs_out(
    chromium, inbox: Inbox, zero_tolerance_party: ZeroToleranceParty
):
    context = await chromium.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    try:
        await page.goto(f"{inbox.url}/inbox")
        await page.get_by_role("heading", name="Sign in", level=1).wait_for()
        assert page.url == f"{inbox.url}/inbox/sign-in?next=/inbox"
        await assert_accessible(page)
        await screenshot(page, "sign-in")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Subject").wait_for()
        assert page.url.startswith(inbox.provider.issuer)
        # Authorization code with PKCE and a nonce, as the provider was asked.
        await screenshot(page, "sign-in-provider")
        await inbox.at_the_provider(page, subject_of("manager-1"))

        assert page.url == f"{inbox.url}/inbox"
        await page.get_by_role("heading", name="Tasks you can decide", level=1).wait_for()
        assert await page.get_by_role("row").filter(has_text=zero_tolerance_party.review_task_id).count() == 1
        assert await page.get_by_role("status").filter(has_text="Signed in as Morgan Manager (manager-1).").count() == 1
        await screenshot(page, "sign-in-tasks")
        cookie = await _session_cookie(context)
        assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, True, "Lax", "/")
        [session] = inbox.store.sessions_of("manager-1")
        assert _events(inbox, SecurityEvent.SIGN_IN) == [("manager-1", None)]

        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_role("heading", name="Sign in", level=1).wait_for()
        assert "Signed out." in await page.get_by_role("status").inner_text()
        await screenshot(page, "signed-out")
        assert inbox.store.sessions_of("manager-1") == []
        assert _events(inbox, SecurityEvent.SIGN_OUT) == [("manager-1", None)]
        # The old cookie, kept by someone, is worth nothing now: the session ended on the server.
        await context.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path", "secure", "httpOnly")}])
        answer = await page.goto(f"{inbox.url}/inbox")
        assert answer is not None and page.url.startswith(f"{inbox.url}/inbox/sign-in")
        assert session.staff_id == "manager-1"
    finally:
        await context.close()


async def test_someone_the_staff_list_does_not_know_is_refused(chromium, inbox: Inbox):
    context = await chromium.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    try:
        await page.goto(f"{inbox.url}/inbox/sign-in")
        await page.get_by_role("button", name="Sign in").click()
        answer = await inbox.at_the_provider(page, subject_of("stranger"), "/inbox/signed-in")
        assert answer is not None and answer.status == 401
        alert = await page.get_by_role("alert").inner_text()
        assert "You are not on the staff list: ask an administrator to add you." in alert
        assert SESSION_COOKIE not in {c["name"] for c in await context.cookies()}
        assert _events(inbox, SecurityEvent.SIGN_IN_FAILED) == [(None, "unknown_subject")]
        await assert_accessible(page)
        await screenshot(page, "sign-in-refused")
    finally:
        await context.close()


async def test_an_expired_session_asks_to_sign_in_again(chromium, inbox: Inbox):
    context = await chromium.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    try:
        await inbox.sign_in(page, "exec-1")
        # Idle for longer than the idle timeout (30 minutes).
        with inbox.store.engine.begin() as db:
            db.execute(update(WebSessionRow).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
        await page.goto(f"{inbox.url}/inbox")
        await page.get_by_role("heading", name="Sign in", level=1).wait_for()
        assert _events(inbox, SecurityEvent.SESSION_EXPIRED) == [("exec-1", "idle")]
        assert inbox.store.sessions_of("exec-1") == []
        await screenshot(page, "sign-in-after-expiry")
    finally:
        await context.close()


def _tampering(inbox: Inbox, param: str) -> Callable[[Route], Awaitable[None]]:
    """A handler for the sign-in form's POST that changes `param` in the authorization request
    its redirect sends to the provider. (Playwright routes no redirected request, so the
    redirect itself is fetched and its Location changed.)"""

    async def tamper(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        answer = await route.fetch(max_redirects=0)
        parts = urlsplit(answer.headers["location"])
        query = dict(parse_qsl(parts.query)) | {param: f"forged-{param}"}
        headers = answer.headers | {"location": parts._replace(query=urlencode(query)).geturl()}
        await route.fulfill(response=answer, headers=headers)

    return tamper


async def test_a_tampered_state_or_nonce_is_refused(chromium, inbox: Inbox):
    # state: the provider's answer is not this browser's sign-in. nonce: the ID token is not.
    for param in ("state", "nonce"):
        context = await chromium.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        try:
            await page.route(f"{inbox.url}/inbox/sign-in", _tampering(inbox, param))
            await page.goto(f"{inbox.url}/inbox/sign-in")
            await page.get_by_role("button", name="Sign in").click()
            answer = await inbox.at_the_provider(page, subject_of("manager-1"), "/inbox/signed-in")
            assert answer is not None and answer.status == 401, param
            assert "answer was refused" in await page.get_by_role("alert").inner_text()
            await screenshot(page, f"sign-in-tampered-{param}")
        finally:
            await context.close()
    assert inbox.store.sessions_of("manager-1") == []
    failed = [str(detail) for _, detail in _events(inbox, SecurityEvent.SIGN_IN_FAILED)]
    assert sorted(failed) == ["invalid_claim", "mismatching_state"], failed
