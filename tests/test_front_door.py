"""Issue "Staff sign in with the body's own identity provider": the front door to OWASP ASVS
level 2, without Temporal (a stand-in that is unreachable) or an identity provider (the
sign-in through a real one is tests/test_sign_in_browser.py's).

Every inbox page and API answer carries the security headers; each form posted without
its CSRF token is refused; sessions end at their idle and absolute timeouts, at sign-out,
at deactivation and at a loss of role, at once; a session cookie is no API token, nor a
token a session; tokens expire, are listed with their last use and revoked one at a time;
a 10 MB body is refused before sign-in; a list over its maximum names its field; the 11th
sign-in in a minute, and a principal over its rate, get 429 with Retry-After; refusals,
sign-outs and expiries are in the security log, which operations staff read.
"""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import update
from typer.testing import CliRunner

from cli.app import app as ubp
from client.keys import KeyRing
from client.parties import PartyClient
from policy.payloads import RemovalRecord, RemovalTotals
from policy.vocabulary import RemovalKind, RemovalOutcome, Role
from records.security_log import SecurityEvent
from records.staff import token_id_of
from records.store import RecordStore
from records.tables import WebSessionRow
from settings import Settings, get_settings
from tests.sessions import sign_in
from tests.test_api import UnreachableTemporal
from web.app import create_app
from web.deps import SESSION_COOKIE

STAFF = {"manager-1": [Role.MANAGER], "ops-1": [Role.OPERATIONS]}
SYSTEM = "case-system"
MB = 1024 * 1024


class Front:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, store: RecordStore, token: str) -> None:
        self.app, self.client, self.store, self.token = app, client, store, token

    def routes(self) -> list[APIRoute]:
        """Every route the app serves (FastAPI keeps an included router's routes on it)."""
        found = []
        for route in self.app.routes:
            router = getattr(route, "original_router", None)
            found += [r for r in (router.routes if router else [route]) if isinstance(r, APIRoute)]
        return found

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def events(self, kind: SecurityEvent) -> list[tuple[str | None, str | None]]:
        return [(e.staff_id, e.detail) for e in self.store.security_events(kind=kind)]


async def _front(store: RecordStore, settings: Settings, key_ring: KeyRing) -> AsyncIterator[Front]:
    for staff_id, roles in STAFF.items():
        store.add_staff(staff_id, staff_id.title(), roles)
    store.add_system(SYSTEM, "The case system", ["*"])
    app = create_app(cast(PartyClient, UnreachableTemporal()), store, settings, key_ring=key_ring)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as client:
        yield Front(app, client, store, store.issue_token(SYSTEM))


@pytest_asyncio.fixture
async def front(store, settings, key_ring) -> AsyncIterator[Front]:
    async for found in _front(store, settings, key_ring):
        yield found


@pytest_asyncio.fixture
async def strict(store, settings, key_ring) -> AsyncIterator[Front]:
    """A front door allowing three requests a minute per principal."""
    async for found in _front(store, settings.model_copy(update={"requests_per_minute": 3}), key_ring):
        yield found


@pytest.fixture
def local_records(settings, monkeypatch):
    """`ubp`'s local commands on the test's records database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _assert_secure_headers(answer: httpx.Response, what: str) -> None:
    headers = answer.headers
    csp = headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp, what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "no-referrer", what
    assert headers.get("x-frame-options") == "DENY", what
    if not answer.request.url.path.endswith(".css"):
        assert headers.get("cache-control") == "no-store", what


def _example(path: str) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: "pdf" if m.group(1) == "part" else "p-1", path)


async def test_every_inbox_page_and_api_answer_carries_the_security_headers(front):
    routes = front.routes()
    assert len(routes) > 30
    answered = 0
    for signed_in in (False, True):
        if signed_in:
            sign_in(front.client, front.store, "manager-1")
        for route in routes:
            for method in sorted(route.methods):
                path = _example(route.path)
                headers = front.bearer if signed_in and not path.startswith("/inbox") else {}
                answer = await front.client.request(method, path, headers=headers, json={} if method != "GET" else None)
                assert answer.status_code != 500, f"{method} {path}: {answer.text[:300]}"
                _assert_secure_headers(answer, f"{method} {path} ({answer.status_code})")
                answered += 1
    # And what no route answers: the 404, a refused body.
    _assert_secure_headers(await front.client.get("/no-such-page"), "404")
    _assert_secure_headers(await front.client.post("/parties/p-1/incidents", content=b"x" * (2 * MB)), "413")
    assert answered > 60
    assert (await front.client.get("/docs")).status_code == 404, "the docs page is off unless asked for"


async def test_each_form_without_its_csrf_token_is_refused(front):
    # Sign-in: the form's token is bound to the signed sign-in cookie.
    form = await front.client.get("/inbox/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert (await front.client.post("/inbox/sign-in", data={"next": "/inbox"})).status_code == 401
    assert (await front.client.post("/inbox/sign-in", data={"csrf": "forged"})).status_code == 401
    # With it, the form goes on (to a provider the settings do not name here).
    assert (await front.client.post("/inbox/sign-in", data={"csrf": csrf})).status_code == 503
    assert [d for _, d in front.events(SecurityEvent.SIGN_IN_FAILED)] == ["csrf", "csrf"]

    token = sign_in(front.client, front.store, "manager-1")
    # A decision, then sign-out: refused without the session's token, nothing done.
    decision = {"outcome": "support_recorded", "decision_id": "", "support_offered": "none_wanted"}
    refused = await front.client.post("/inbox/tasks/t-1/decision", data=decision)
    assert refused.status_code == 403 and "did not come from your inbox" in refused.text
    assert (await front.client.post("/inbox/sign-out")).status_code == 403
    assert (await front.client.get("/inbox")).status_code == 200, "still signed in"
    assert len(front.events(SecurityEvent.CSRF_REFUSED)) == 2
    out = await front.client.post("/inbox/sign-out", data={"form_key": token})
    assert out.status_code == 303 and front.store.sessions_of("manager-1") == []


async def test_sessions_end_at_their_timeouts_at_sign_out_deactivation_and_loss_of_role(front):
    def session_goes(update_values: dict | None = None) -> None:
        if update_values:
            with front.store.engine.begin() as db:
                db.execute(update(WebSessionRow).values(**update_values))

    async def inbox_answers() -> int:
        return (await front.client.get("/inbox")).status_code

    sign_in(front.client, front.store, "manager-1")
    assert await inbox_answers() == 200
    session_goes({"last_seen_at": datetime.now(UTC) - timedelta(minutes=30, seconds=1)})
    answer = await front.client.get("/inbox")
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox/sign-in?next=/inbox"

    sign_in(front.client, front.store, "manager-1")
    session_goes({"expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    assert await inbox_answers() == 303
    assert front.events(SecurityEvent.SESSION_EXPIRED) == [("manager-1", "absolute"), ("manager-1", "idle")]

    token = sign_in(front.client, front.store, "manager-1")
    await front.client.post("/inbox/sign-out", data={"form_key": token})
    assert await inbox_answers() == 303

    sign_in(front.client, front.store, "manager-1")
    front.store.set_staff_active("manager-1", False)
    front.store.set_staff_active("manager-1", True)
    assert await inbox_answers() == 303, "reactivation brings no session back"

    sign_in(front.client, front.store, "manager-1")
    front.store.add_staff("manager-1", "Manager-1", [Role.COLLEAGUE])
    assert await inbox_answers() == 303
    assert front.events(SecurityEvent.ROLE_CHANGE) == [("manager-1", "colleague")]
    assert [e.kind for e in front.store.security_events(staff_id="manager-1")][:2] == ["session_ended", "role_change"]


async def test_a_session_is_no_api_token_nor_a_token_a_session(front):
    sign_in(front.client, front.store, "ops-1")
    session_id = front.client.cookies[SESSION_COOKIE]
    front.client.cookies.clear()
    as_token = await front.client.get("/tasks", headers={"Authorization": f"Bearer {session_id}"})
    assert as_token.status_code == 401
    ops_token = front.store.issue_token("ops-1")
    front.client.cookies.set(SESSION_COOKIE, ops_token)
    assert (await front.client.get("/inbox")).status_code == 303
    assert (await front.client.post("/codec/decode", json={"payloads": []})).status_code == 401
    assert [(e.status, e.route) for e in front.store.security_events(kind=SecurityEvent.UNAUTHORISED)] == [
        (401, "/codec/decode"),
        (401, "/tasks"),
    ]


async def test_tokens_expire_are_listed_with_their_last_use_and_revoked_one_at_a_time(front, local_records):
    kept = front.store.issue_token(SYSTEM, days=30)
    expired = front.store.issue_token(SYSTEM, days=1, at=datetime.now(UTC) - timedelta(days=2))
    assert (await front.client.get("/tasks", headers={"Authorization": f"Bearer {expired}"})).status_code == 401
    assert (await front.client.get("/tasks", headers=front.bearer)).status_code == 200

    listed = CliRunner().invoke(ubp, ["staff", "tokens", SYSTEM])
    assert listed.exit_code == 0, listed.output
    lines = [line.split("\t") for line in listed.output.splitlines()]
    assert len(lines) == 3 and sum(line[-1] == "expired" for line in lines) == 1
    [used] = [line for line in lines if line[4] != "-"]
    first = next(r for r in front.store.tokens(SYSTEM) if r.last_used_at is not None)
    assert used[0] == token_id_of(first)

    revoked = CliRunner().invoke(ubp, ["staff", "revoke-token", used[0]])
    assert revoked.exit_code == 0, revoked.output
    assert (await front.client.get("/tasks", headers=front.bearer)).status_code == 401
    assert (await front.client.get("/tasks", headers={"Authorization": f"Bearer {kept}"})).status_code == 200
    assert [d for _, d in front.events(SecurityEvent.TOKEN_REVOKED)] == [used[0]]
    assert len(front.events(SecurityEvent.TOKEN_ISSUED)) == 3


async def test_a_10_mb_body_is_refused_before_sign_in(front):
    answer = await front.client.post(
        "/parties/p-1/incidents", content=b"{" + b" " * (10 * MB), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413, answer.text
    assert front.store.security_events(kind=SecurityEvent.UNAUTHORISED) == [], "nobody was asked to sign in"


async def test_a_list_over_its_maximum_is_422_naming_the_field(front):
    body = {"outcome": "support_recorded", "role": "manager", "support_offered": ["none_wanted"] * 6}
    answer = await front.client.post("/tasks/t-1/decision", json=body, headers=front.bearer)
    assert answer.status_code == 422
    assert [p["loc"] for p in answer.json()["detail"]] == [["body", "support_offered"]]
    assert (await front.client.get("/tasks", params={"limit": 501}, headers=front.bearer)).status_code == 422
    page = await front.client.get("/tasks", params={"limit": 1}, headers=front.bearer)
    assert page.status_code == 200 and page.headers["x-total-count"] == "0" and "link" not in page.headers


async def test_the_11th_sign_in_in_a_minute_and_a_principal_over_its_rate_get_429(front, strict):
    for _ in range(10):
        assert (await front.client.post("/inbox/sign-in", data={"csrf": "x"})).status_code == 401
    eleventh = await front.client.post("/inbox/sign-in", data={"csrf": "x"})
    assert eleventh.status_code == 429 and 0 < int(eleventh.headers["retry-after"]) <= 60

    answers = [(await strict.client.get("/tasks", headers=strict.bearer)).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    # Logged once a window: a flood of refusals is not a flood of the log.
    assert [e for e in strict.events(SecurityEvent.RATE_LIMITED) if e[0] == SYSTEM] == [(SYSTEM, None)]


async def test_operations_staff_read_the_security_log(front, local_records):
    await front.client.get("/tasks")  # a 401, logged
    sign_in(front.client, front.store, "manager-1")
    assert (await front.client.get("/inbox/security-log")).status_code == 403
    front.client.cookies.clear()
    sign_in(front.client, front.store, "ops-1")
    page = await front.client.get("/inbox/security-log", params={"kind": "forbidden"})
    assert page.status_code == 200 and "manager-1" in page.text and "/inbox/security-log" in page.text
    listed = CliRunner().invoke(ubp, ["security-log", "--kind", "unauthorised"])
    assert listed.exit_code == 0, listed.output
    [line] = listed.output.splitlines()
    assert line.split("\t")[1:] == ["unauthorised", "-", "-", "/tasks", "401"]


async def test_decodes_and_erasures_are_in_the_security_log_without_the_party(front):
    front.store.record_decode("ops-1", "default", 3)
    erasure = RemovalRecord(
        log_id="erase-p-secret-1",
        kind=RemovalKind.ERASURE_REQUEST,
        outcome=RemovalOutcome.DONE,
        at=datetime.now(UTC),
        by="manager-1",
        reason="the party asked",
        party_id="p-secret-1",
        totals=RemovalTotals(parties=1),
    )
    assert front.store.record_removal(erasure) and not front.store.record_removal(erasure)
    assert front.events(SecurityEvent.PAYLOAD_DECODE) == [("ops-1", "3")]
    assert front.events(SecurityEvent.ERASURE) == [("manager-1", "erasure_request:done")]
    logged = [e.model_dump_json() for e in front.store.security_events()]
    assert not [line for line in logged if "p-secret-1" in line or "the party asked" in line]
