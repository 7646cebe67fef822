"""The HTTP front door: case-system messages, managers' tasks, and the inbox pages.

For case systems that cannot run a Temporal client: the same messages as
`client.parties.PartyClient`, as JSON over HTTP, with bearer tokens mapped
to staff (`ubp staff token STAFF_ID`). `create_app` builds the app around
the dependencies it is given and keeps no globals, so tests hand it the
time-skipping server's client and a test database.
"""

import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import FastAPI, Request, Response, status
from fastapi.responses import RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

from client.keys import KeyRing
from client.parties import PartyClient
from records.store import RecordStore
from settings import Settings, release
from web.deps import FrontDoor
from web.errors import add_error_handlers
from web.front_door import BodyLimit, content_security_policy, security_headers
from web.inbox import accessibility, contact, security_log, sign_in
from web.inbox import acting as party_forms
from web.inbox import data_protection as data_protection_pages
from web.inbox import parties as party_pages
from web.inbox import report as board_report
from web.inbox import routes as inbox
from web.inbox import task_list as inbox_task_list
from web.inbox import timeline as party_timeline
from web.metrics import UNMATCHED, ApiMetrics
from web.routes import (
    codec,
    contacts,
    data_protection,
    events,
    ground_rules,
    letters,
    ops,
    parties,
    retention,
    task_claims,
    tasks,
)

DESCRIPTION = """
The unacceptable-behaviour policy's front door for case systems that cannot
run a Temporal client, and for managers deciding tasks. The payloads are the
messages of the integration contract (`docs/contract.md`).

**Sign-in.** Every call sends `Authorization: Bearer <token>`; `ubp staff
token ACCOUNT_ID` issues one for a case system's account (or a member of staff
using `ubp`), valid for 90 days unless `--days` says otherwise. Only a hash of
the token is kept. The inbox's session cookie is not accepted here, nor a token
as the inbox's cookie.

**Limits.** A body over 1 MiB is refused with 413 before sign-in is checked;
every list in a message has a maximum (422 naming the field); more than the
rate of requests per principal answers 429 with `Retry-After`.

**Idempotency.** Each message's id (`incident_id`, `ask_id`, `warning_id`,
`restriction_id`, `adjustment_id`) is its idempotency key: sending it again
records it once and answers `duplicate: true`. When the body leaves the id
out, the `Idempotency-Key` header is used as the id. A task decision's key is
the `Idempotency-Key` header (a new id if there is none). Retry a call that
failed with 503, or whose answer was lost, with the same id.

**Codec endpoint.** `POST /codec/decode` and `/codec/encode` speak
Temporal's codec protocol for the Temporal UI (`--ui-codec-endpoint`,
`TEMPORAL_CODEC_ENDPOINT`) and CLI (`--codec-endpoint`): payloads are
encrypted at rest, and only staff with the `operations` role may read them
decrypted, with a bearer token or the inbox's session cookie. Every decode
is audit-logged, without its content.

**Errors.** 401: no token, or an unknown one. 403: the signed-in member of
staff does not hold the role they decide in. 404: no such party or task.
409: the policy refuses the message, `{"rule": "R14", "detail": "R14: ..."}`
(`rule` is `WrongParty` for a message addressed to another party). 422: a
malformed body, naming the field, or a path that does not match it. 503:
Temporal or the records database cannot be reached; nothing was applied, or
it was applied once: retry with the same id.
"""


def create_app(
    party_client: PartyClient, store: RecordStore, settings: Settings, *, key_ring: KeyRing | None = None
) -> FastAPI:
    """The HTTP API, the managers' inbox and the codec endpoint.

    Args:
        party_client: The Temporal client module, connected.
        store: The records database: staff, tokens, the task list and the decode audit log.
        settings: The body's time zone, for the inbox's local dates; the Temporal UI's origins.
        key_ring: The codec endpoint's keys; None: those `party_client` encrypts with.

    Returns:
        The app; OpenAPI at `/openapi.json`, its pages at `/docs`; `/readyz` and
        `/metrics` (Prometheus) for operators.
    """
    app = FastAPI(
        title="Unacceptable-behaviour policy orchestrator",
        version=release(),
        description=DESCRIPTION,
        # The docs page loads Swagger UI from a CDN: only where the settings turn it on (never in production).
        docs_url="/docs" if settings.api_docs else None,
        redoc_url=None,
        openapi_tags=[
            {"name": "case systems", "description": "the integration contract's messages (docs/contract.md)"},
            {"name": "letters", "description": "R10: the letters to each party, to download and mark sent"},
            {"name": "tasks", "description": "human tasks: the task list, and deciding a task"},
            {"name": "retention", "description": "R3: erasing a party's file on request"},
            {
                "name": "data protection",
                "description": "UK GDPR: subject access (Art. 15), corrections and disputes (Art. 16), the markers",
            },
            {"name": "codec", "description": "Temporal's codec protocol, for the Temporal UI and CLI (operations)"},
            {"name": "ops", "description": "for operators: liveness, readiness (Temporal, records), metrics"},
        ],
    )
    app.state.front_door = FrontDoor(parties=party_client, store=store, settings=settings, key_ring=key_ring)
    app.state.metrics = metrics = ApiMetrics(store)
    app.state.identity_provider = sign_in.identity_provider(settings)
    app.include_router(parties.router)
    app.include_router(ground_rules.router)
    app.include_router(contacts.router)
    app.include_router(letters.router)
    app.include_router(tasks.router)
    app.include_router(task_claims.router)
    app.include_router(retention.router)
    app.include_router(data_protection.router)
    app.include_router(codec.router)
    app.include_router(sign_in.router)
    app.include_router(inbox.router)
    app.include_router(inbox_task_list.router)
    app.include_router(party_pages.router)
    app.include_router(board_report.router)
    app.include_router(security_log.router)
    app.include_router(data_protection_pages.router)
    app.include_router(party_timeline.router)
    app.include_router(party_forms.router)
    app.include_router(contact.router)
    app.include_router(accessibility.router)
    app.include_router(ops.router)
    app.include_router(events.router)
    add_error_handlers(app)
    codec.add_codec_cors(app, settings.ui_origins())
    # A sign-in in progress (state, nonce, PKCE verifier, the form's CSRF token), signed,
    # for ten minutes at most; the session it opens is kept on the server.
    secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=sign_in.SIGN_IN_COOKIE,
        max_age=sign_in.SIGN_IN_SECONDS,
        same_site="lax",
        https_only=True,
    )
    # Before the routes, so before anyone is signed in: a large body is refused unread.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # The router put the matched route in the scope: its template, not the path.
        route = request.scope.get("route")
        metrics.observe(
            request.method,
            getattr(route, "path", UNMATCHED),
            response.status_code,
            time.perf_counter() - started,
        )
        return response

    # Added last, so outermost: every answer gets the headers, a 413 and an error page too.
    app.middleware("http")(security_headers(store, content_security_policy(settings.oidc_issuer)))

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/inbox", status.HTTP_303_SEE_OTHER)

    return app


def api_server(
    settings: Settings, parties: PartyClient, store: RecordStore, *, embedded: bool = False
) -> uvicorn.Server:
    """A uvicorn server for the app on `settings.api_host:api_port`; `await server.serve()` runs it.

    Args:
        embedded: True inside the dev stack, which handles SIGINT and SIGTERM
            itself: set `server.should_exit` to stop this one.
    """

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if embedded:
                yield
                return
            with super().capture_signals():
                yield

    config = uvicorn.Config(
        create_app(parties, store, settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        lifespan="off",
        # X-Forwarded-For and -Proto only from the body's own proxies (none by default).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )
    return _Server(config)
